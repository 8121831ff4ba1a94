//! OpenAPI documents built from a service's route table.
//!
//! Each service declares its routes once (method, path, handler, [`Doc`]);
//! the same declaration registers the actix route and becomes an operation
//! of the document here, so the document cannot list a route the service
//! does not have or miss one it has. Schemas are utoipa's: request bodies
//! derive `ToSchema` on the types the handlers decode; small answers are
//! written with the helpers below.

use serde_json::Value;
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::security::{SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    Components, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, RefOr,
    Required, ResponseBuilder, Responses, ResponsesBuilder,
};
use utoipa::ToSchema;

pub use utoipa::openapi::path::HttpMethod;

/// A media type and the schema of what is sent in it.
type Content = (&'static str, RefOr<Schema>);

/// What one route declares about itself beyond method, path and handler.
#[derive(Clone)]
pub struct Doc {
    tag: &'static str,
    summary: &'static str,
    security: Option<&'static str>,
    parameters: Vec<utoipa::openapi::path::Parameter>,
    body: Option<Content>,
    responses: Vec<(u16, &'static str, Option<Content>)>,
    components: Vec<(String, RefOr<Schema>)>,
}

impl Doc {
    /// A route of `tag` doing what `summary` says, open to everyone until
    /// [`Doc::security`] names a scheme.
    pub fn new(tag: &'static str, summary: &'static str) -> Self {
        Self {
            tag,
            summary,
            security: None,
            parameters: Vec::new(),
            body: None,
            responses: Vec::new(),
            components: Vec::new(),
        }
    }

    /// The security scheme (one of the document's) the caller must satisfy.
    pub fn security(mut self, scheme: &'static str) -> Self {
        self.security = Some(scheme);
        self
    }

    /// A query parameter.
    pub fn query(self, name: &'static str, schema: Schema, required: bool) -> Self {
        self.parameter(ParameterIn::Query, name, schema, required)
    }

    /// A path parameter (`{name}` in the path).
    pub fn path(self, name: &'static str, schema: Schema) -> Self {
        self.parameter(ParameterIn::Path, name, schema, true)
    }

    fn parameter(mut self, at: ParameterIn, name: &str, schema: Schema, required: bool) -> Self {
        self.parameters.push(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(at)
                .required(if required {
                    Required::True
                } else {
                    Required::False
                })
                .schema(Some(schema))
                .build(),
        );
        self
    }

    /// A JSON body of type `T` (its schema and those it refers to become components).
    pub fn json_body<T: ToSchema>(mut self) -> Self {
        T::schemas(&mut self.components);
        self.components.push((T::name().into_owned(), T::schema()));
        self.body = Some((
            "application/json",
            RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name())),
        ));
        self
    }

    /// A body of `content_type` described by `schema`.
    pub fn body(mut self, content_type: &'static str, schema: Schema) -> Self {
        self.body = Some((content_type, RefOr::T(schema)));
        self
    }

    /// An answer with HTTP `status`; `content` is its media type and schema.
    pub fn response(
        mut self,
        status: u16,
        description: &'static str,
        content: Option<(&'static str, Schema)>,
    ) -> Self {
        self.responses
            .push((status, description, content.map(|(t, s)| (t, RefOr::T(s)))));
        self
    }

    fn operation(&self, operation_id: String) -> utoipa::openapi::path::Operation {
        let mut responses = ResponsesBuilder::new();
        for (status, description, content) in &self.responses {
            let mut response = ResponseBuilder::new().description(*description);
            if let Some((content_type, schema)) = content {
                response = response.content(
                    *content_type,
                    ContentBuilder::new().schema(Some(schema.clone())).build(),
                );
            }
            responses = responses.response(status.to_string(), response.build());
        }
        let mut operation = OperationBuilder::new()
            .tag(self.tag)
            .summary(Some(self.summary))
            .operation_id(Some(operation_id))
            .parameters(Some(self.parameters.clone()))
            .responses::<Responses>(responses.build());
        if let Some((content_type, schema)) = &self.body {
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        *content_type,
                        ContentBuilder::new().schema(Some(schema.clone())).build(),
                    )
                    .build(),
            ));
        }
        if let Some(scheme) = self.security {
            operation =
                operation.security(SecurityRequirement::new::<_, [&str; 0], &str>(scheme, []));
        }
        operation.build()
    }
}

/// One route: what the service registers and documents.
pub struct Operation {
    /// Its method.
    pub method: HttpMethod,
    /// Its path, `{name}` for a path parameter (actix's and OpenAPI's syntax).
    pub path: &'static str,
    /// What it declares.
    pub doc: Doc,
}

/// The method named by a route table's lowercase word (`get`, `post`, ...),
/// the same word that picks actix's `web::get()`.
pub fn method(word: &str) -> HttpMethod {
    match word {
        "post" => HttpMethod::Post,
        "put" => HttpMethod::Put,
        "delete" => HttpMethod::Delete,
        "patch" => HttpMethod::Patch,
        "head" => HttpMethod::Head,
        _ => HttpMethod::Get,
    }
}

/// The document about a service: `title`, `description`, its operations,
/// its security schemes and its tags (name and description, in order).
pub fn document(
    title: &str,
    description: &str,
    operations: &[Operation],
    schemes: Vec<(&'static str, SecurityScheme)>,
    tags: &[(&'static str, &'static str)],
) -> OpenApi {
    let mut paths = PathsBuilder::new().build();
    let mut components = Components::new();
    for op in operations {
        let word = match op.method {
            HttpMethod::Get => "get",
            HttpMethod::Post => "post",
            HttpMethod::Put => "put",
            HttpMethod::Delete => "delete",
            HttpMethod::Patch => "patch",
            HttpMethod::Head => "head",
            HttpMethod::Options => "options",
            HttpMethod::Trace => "trace",
        };
        let id = format!("{word}{}", op.path.replace(['/', '-', '{', '}'], "_"));
        paths.add_path_operation(op.path, vec![op.method.clone()], op.doc.operation(id));
        for (name, schema) in &op.doc.components {
            components.schemas.insert(name.clone(), schema.clone());
        }
    }
    for (name, scheme) in schemes {
        components.add_security_scheme(name, scheme);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(title)
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(description))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .tags(Some(tags.iter().map(|(name, description)| {
            TagBuilder::new()
                .name(*name)
                .description(Some(*description))
                .build()
        })))
        .build()
}

/// Any JSON value: for answers too irregular to describe (WeChat's own).
pub fn any() -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .build(),
    )
}

/// A string.
pub fn string() -> Schema {
    Schema::Object(ObjectBuilder::new().schema_type(Type::String).build())
}

/// A string of at most `max` characters.
pub fn string_max(max: usize) -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(max))
            .build(),
    )
}

/// A file's bytes (a multipart part).
pub fn binary() -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Binary,
            )))
            .build(),
    )
}

/// A string matching `pattern` (a regular expression, anchored by the caller).
pub fn string_pattern(pattern: &str) -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(pattern))
            .build(),
    )
}

/// One of the strings `values`.
pub fn one_of_strings(values: &[&str]) -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied()))
            .build(),
    )
}

/// One of the integers `values`.
pub fn one_of_ints(values: &[i64]) -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .enum_values(Some(values.iter().copied()))
            .build(),
    )
}

/// An integer.
pub fn int() -> Schema {
    Schema::Object(ObjectBuilder::new().schema_type(Type::Integer).build())
}

/// An integer within `min..=max`.
pub fn int_in(min: i64, max: i64) -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(min))
            .maximum(Some(max))
            .build(),
    )
}

/// `true` or `false`.
pub fn boolean() -> Schema {
    Schema::Object(ObjectBuilder::new().schema_type(Type::Boolean).build())
}

/// `schema` or `null`.
pub fn nullable(schema: Schema) -> Schema {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(schema)
            .item(Schema::Object(
                ObjectBuilder::new().schema_type(Type::Null).build(),
            ))
            .build(),
    )
}

/// An array of `items`.
pub fn array(items: Schema) -> Schema {
    Schema::Array(ArrayBuilder::new().items(RefOr::T(items)).build())
}

/// An object with `fields` (name, schema, required); other members are
/// allowed (answers may grow).
pub fn object(fields: &[(&str, Schema, bool)]) -> Schema {
    let mut builder = ObjectBuilder::new().schema_type(Type::Object);
    for (name, schema, required) in fields {
        builder = builder.property(*name, schema.clone());
        if *required {
            builder = builder.required(*name);
        }
    }
    Schema::Object(builder.build())
}

/// An object with exactly `fields`: no other member is allowed.
pub fn closed_object(fields: &[(&str, Schema, bool)]) -> Schema {
    match object(fields) {
        Schema::Object(mut o) => {
            o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            Schema::Object(o)
        }
        other => other,
    }
}

/// Exactly one of `schemas`.
pub fn one_of(schemas: Vec<Schema>) -> Schema {
    let mut builder = OneOfBuilder::new();
    for schema in schemas {
        builder = builder.item(schema);
    }
    Schema::OneOf(builder.build())
}

/// A constant JSON value of the given type.
pub fn constant(value: Value) -> Schema {
    let kind = match &value {
        Value::String(_) => Type::String,
        Value::Bool(_) => Type::Boolean,
        Value::Number(n) if n.is_i64() || n.is_u64() => Type::Integer,
        Value::Number(_) => Type::Number,
        Value::Null => Type::Null,
        Value::Array(_) => Type::Array,
        Value::Object(_) => Type::Object,
    };
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(kind)
            .enum_values(Some([value]))
            .build(),
    )
}

/// The answer of a service's `openapi.json` route: `build`'s document as
/// JSON, built at the first request and kept in `cell`.
#[cfg(feature = "web")]
pub fn respond(
    cell: &'static std::sync::OnceLock<String>,
    build: impl FnOnce() -> OpenApi,
) -> actix_web::HttpResponse {
    // Serializing plain data cannot fail; an empty document would be
    // noticed by the services' route tests.
    let body = cell.get_or_init(|| serde_json::to_string(&build()).unwrap_or_default());
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(body.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_of_one_path_share_its_item() {
        let ops = [
            Operation {
                method: method("get"),
                path: "/x/{id}",
                doc: Doc::new("t", "read").path("id", int()),
            },
            Operation {
                method: method("delete"),
                path: "/x/{id}",
                doc: Doc::new("t", "remove")
                    .path("id", int())
                    .security("s")
                    .response(200, "done", Some(("application/json", string()))),
            },
        ];
        let doc = document("t", "d", &ops, Vec::new(), &[("t", "things")]);
        let json = serde_json::to_value(&doc).expect("serializes");
        let item = &json["paths"]["/x/{id}"];
        assert_eq!(item["get"]["summary"], "read");
        assert_eq!(item["delete"]["security"][0]["s"], serde_json::json!([]));
        assert_eq!(item["delete"]["parameters"][0]["in"], "path");
        assert_eq!(
            item["delete"]["responses"]["200"]["content"]["application/json"]["schema"]["type"],
            "string"
        );
    }
}
