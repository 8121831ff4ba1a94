//! Group commit of pushes: every push is claimed (its de-duplication key, its
//! record and its database effects) in a transaction shared with the pushes
//! that arrived while the previous transaction was committing, and answered
//! only once that transaction has committed. A burst of pushes costs a few
//! commits and a few multi-row statements instead of two commits and half a
//! dozen round trips per push; a lone push is stored at once, never delayed.
//!
//! Writers are blocking threads, each with its own connection: one on SQLite
//! (a single writer is what SQLite allows), `callback.store_writers` on MySQL
//! (while one commits, the next batch fills). Per batch: the forward rules
//! are read once (so a rule edited in the console takes effect on the next
//! batch, as fresh as reading them per push), the keys already stored are
//! looked up in one query, new keys and records go in one multi-row insert
//! per table, then each push's effects (ticket, unauthorization, audit
//! result). A push whose answer is known now — every component push, and a
//! message no rule forwards — has its answer stored with its key, so it
//! needs no second write. On MySQL, the usual batch (new pushes without
//! effects) skips the lookup: keys, records and commit go in one round trip
//! ([`records::claim_fresh_mysql`]), and a batch that meets a stored key
//! there is claimed the general way.
//!
//! If the batch fails on a query (one bad push, a deadlock with another
//! replica claiming the same key), each push of it is claimed again alone so
//! that one push can only fail itself; if no connection can be had, the
//! whole batch is refused at once (the callback answers 5xx and WeChat
//! retries).

use std::sync::Arc;

use common::db::audits::{self, Decision};
use common::db::{
    authorization_failures, authorizers, bindings, Backend, ConnectionManager, Db, DbConnection,
    DbError,
};
use common::message::ComponentEventKind;
use common::tokens::store as token_store;
use diesel::prelude::*;
use diesel::r2d2::PooledConnection;
use tokio::sync::{mpsc, oneshot};

use crate::records::{self, BizRecord, Claim, ComponentRecord, NewPush, Row};
use crate::rules::{self, Rule, RuleCache};

/// The answer a push gets when nothing more is to be said.
pub const SUCCESS: &str = "success";

/// A verified push, ready to be stored.
#[derive(Debug)]
pub struct Push {
    /// Its de-duplication key.
    pub key: String,
    /// What is stored and what it changes.
    pub kind: PushKind,
}

/// The record of a push and the effects that commit with it.
#[derive(Debug)]
pub enum PushKind {
    /// To the component URL; answered `success` whatever follows.
    Component {
        /// The row of `wxcallback_component`.
        record: ComponentRecord,
        /// What the event changes in the database.
        effect: ComponentEventKind,
    },
    /// To an account's URL.
    Biz {
        /// The row of `wxcallback_biz`.
        record: BizRecord,
        /// The audit state this push decides, if it is an audit result.
        audit: Option<Decision>,
        /// The release check answers it, so its answer is not known yet.
        release_check: bool,
    },
}

impl Push {
    /// Nothing but its record and key to store: no ticket, unauthorization
    /// or audit result.
    fn is_plain(&self) -> bool {
        match &self.kind {
            PushKind::Component { effect, .. } => !matches!(
                effect,
                ComponentEventKind::VerifyTicket { .. } | ComponentEventKind::Unauthorized { .. }
            ),
            PushKind::Biz { audit, .. } => audit.is_none(),
        }
    }

    fn body_len(&self) -> usize {
        match &self.kind {
            PushKind::Component { record, .. } => record.body.len(),
            PushKind::Biz { record, .. } => record.body.len(),
        }
    }
}

/// Bodies per batch stop growing past this: one multi-row INSERT (its text
/// hex-encoded on MySQL's fast path, twice the size) stays far below MySQL's
/// `max_allowed_packet` (16 MiB on MariaDB by default) even though a single
/// push may be up to `callback.max_body_bytes`.
const BATCH_MAX_BYTES: usize = 2 << 20;

/// What storing a push gave.
#[derive(Debug)]
pub struct Stored {
    /// New, or a retry of a stored push.
    pub claim: Claim,
    /// The forward rules as read with the push's batch.
    pub rules: Arc<Vec<Rule>>,
    /// The answer was stored with the key; nothing is left to remember.
    pub answered: bool,
}

type Reply = oneshot::Sender<Result<Stored, DbError>>;

/// The queue in front of the writers; cheap to clone.
#[derive(Clone)]
pub struct Intake {
    queue: mpsc::Sender<(Push, Reply)>,
}

/// Tuning of the writers (`[callback]` settings).
#[derive(Debug, Clone, Copy)]
pub struct IntakeLimits {
    /// Writer threads on MySQL (always one on SQLite).
    pub writers: usize,
    /// Most pushes in one transaction.
    pub batch_max: usize,
}

impl Intake {
    /// Starts the writers; they stop when every [`Intake`] clone is dropped.
    pub fn start(
        db: Db,
        rules: Arc<RuleCache>,
        forward_host: String,
        limits: IntakeLimits,
    ) -> Self {
        let batch_max = limits.batch_max.max(1);
        let (queue, receiver) = mpsc::channel::<(Push, Reply)>(batch_max * 4);
        let receiver = Arc::new(std::sync::Mutex::new(receiver));
        let writers = match db.backend() {
            Backend::Sqlite => 1,
            Backend::Mysql => limits.writers.max(1),
        };
        for n in 0..writers {
            let writer = Writer {
                db: db.clone(),
                rules: rules.clone(),
                forward_host: forward_host.clone(),
                receiver: receiver.clone(),
                batch_max,
            };
            let spawned = std::thread::Builder::new()
                .name(format!("push-writer-{n}"))
                .spawn(move || writer.run());
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a push writer thread");
            }
        }
        Self { queue }
    }

    /// Stores `push`; returns once its transaction has committed.
    pub async fn store(&self, push: Push) -> Result<Stored, DbError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((push, reply))
            .await
            .map_err(|_| DbError::Task("the push writers have stopped".into()))?;
        answer
            .await
            .map_err(|_| DbError::Task("a push writer stopped before answering".into()))?
    }
}

type Pooled = PooledConnection<ConnectionManager>;

type Receiver = Arc<std::sync::Mutex<mpsc::Receiver<(Push, Reply)>>>;

struct Writer {
    db: Db,
    rules: Arc<RuleCache>,
    forward_host: String,
    receiver: Receiver,
    batch_max: usize,
}

impl Writer {
    fn run(self) {
        let mut held = None;
        while let Some(batch) = self.next_batch() {
            let (pushes, replies): (Vec<Push>, Vec<Reply>) = batch.into_iter().unzip();
            for (reply, result) in replies.into_iter().zip(self.store(&mut held, &pushes)) {
                // The handler may have gone (client hung up); the push is stored anyway.
                let _ = reply.send(result);
            }
        }
    }

    /// Waits for a push, then takes every push queued behind it. The lock is
    /// held only while taking: a writer committing never blocks the others.
    fn next_batch(&self) -> Option<Vec<(Push, Reply)>> {
        let mut receiver = self
            .receiver
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let first = receiver.blocking_recv()?;
        let mut bytes = first.0.body_len();
        let mut batch = vec![first];
        while batch.len() < self.batch_max && bytes < BATCH_MAX_BYTES {
            match receiver.try_recv() {
                Ok(next) => {
                    bytes += next.0.body_len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        Some(batch)
    }

    /// One result per push, in order. The writer keeps its connection from
    /// batch to batch (no pool checkout and its validation query per
    /// batch) and lets it go after any failure, so the next batch starts on
    /// a connection the pool has checked.
    fn store(&self, held: &mut Option<Pooled>, pushes: &[Push]) -> Vec<Result<Stored, DbError>> {
        let conn = match held {
            Some(conn) => conn,
            None => match self.db.get() {
                Ok(conn) => held.insert(conn),
                Err(e) => return pushes.iter().map(|_| Err(copy_of(&e))).collect(),
            },
        };
        let results = match self.store_batch(conn, pushes) {
            Ok(stored) => stored.into_iter().map(Ok).collect(),
            Err(e) if pushes.len() == 1 => vec![Err(e)],
            Err(e) => {
                tracing::warn!(error = %e, pushes = pushes.len(), "batch not stored; storing its pushes one by one");
                pushes
                    .iter()
                    .map(|push| {
                        self.store_batch(conn, std::slice::from_ref(push))
                            .map(|mut one| one.remove(0))
                    })
                    .collect::<Vec<_>>()
            }
        };
        if results.iter().any(Result::is_err) {
            *held = None;
        }
        results
    }

    fn store_batch(
        &self,
        conn: &mut DbConnection,
        pushes: &[Push],
    ) -> Result<Vec<Stored>, DbError> {
        if let Some(stored) = self.store_fresh_mysql(conn, pushes)? {
            return Ok(stored);
        }
        conn.transaction::<_, DbError, _>(|conn| {
            records::lock_for_writing(conn)?;
            let rules = self.rules.parsed(conn, &self.forward_host)?;
            let answers: Vec<Option<&str>> =
                pushes.iter().map(|p| answer_now(&p.kind, &rules)).collect();
            let batch = new_pushes(pushes, &answers);
            let claims = records::claim_all(conn, &batch)?;
            let mut stored = Vec::with_capacity(pushes.len());
            for ((push, answer), claim) in pushes.iter().zip(answers).zip(claims) {
                if claim == Claim::New {
                    apply(conn, &push.kind)?;
                }
                stored.push(Stored {
                    answered: claim != Claim::New || answer.is_some(),
                    claim,
                    rules: rules.clone(),
                });
            }
            Ok(stored)
        })
    }
}

impl Writer {
    /// MySQL's fast path for the usual batch — pushes with no database
    /// effects, none stored before: the keys, the records and the commit
    /// in one round trip ([`records::claim_fresh_mysql`]), after one read of
    /// the rules. `None` when the batch needs the general path.
    fn store_fresh_mysql(
        &self,
        conn: &mut DbConnection,
        pushes: &[Push],
    ) -> Result<Option<Vec<Stored>>, DbError> {
        if !matches!(conn, DbConnection::Mysql(_)) || !pushes.iter().all(Push::is_plain) {
            return Ok(None);
        }
        let rules = self.rules.parsed(conn, &self.forward_host)?;
        let answers: Vec<Option<&str>> =
            pushes.iter().map(|p| answer_now(&p.kind, &rules)).collect();
        let batch = new_pushes(pushes, &answers);
        let DbConnection::Mysql(mysql) = conn else {
            return Ok(None);
        };
        if !records::claim_fresh_mysql(mysql, &batch)? {
            return Ok(None);
        }
        Ok(Some(
            answers
                .iter()
                .map(|answer| Stored {
                    claim: Claim::New,
                    rules: rules.clone(),
                    answered: answer.is_some(),
                })
                .collect(),
        ))
    }
}

fn new_pushes<'a>(pushes: &'a [Push], answers: &[Option<&'a str>]) -> Vec<NewPush<'a>> {
    pushes
        .iter()
        .zip(answers)
        .map(|(push, answer)| NewPush {
            key: &push.key,
            answer: *answer,
            record: match &push.kind {
                PushKind::Component { record, .. } => Row::Component(record),
                PushKind::Biz { record, .. } => Row::Biz(record),
            },
        })
        .collect()
}

/// The answer known before anything else runs: component pushes are always
/// answered `success`; a message is when neither a rule nor the release
/// check will answer it.
fn answer_now(kind: &PushKind, rules: &[Rule]) -> Option<&'static str> {
    match kind {
        PushKind::Component { .. } => Some(SUCCESS),
        PushKind::Biz {
            record,
            release_check,
            ..
        } => (!release_check && rules::for_biz(rules, &record.msg_type, &record.event).is_none())
            .then_some(SUCCESS),
    }
}

/// Database effects that commit together with the record.
fn apply(conn: &mut DbConnection, kind: &PushKind) -> Result<(), DbError> {
    match kind {
        PushKind::Component {
            effect: ComponentEventKind::VerifyTicket { ticket },
            ..
        } => token_store::save_ticket(conn, ticket),
        PushKind::Component {
            effect: ComponentEventKind::Unauthorized { authorizer_appid },
            ..
        } => {
            authorizers::remove(conn, authorizer_appid)?;
            authorization_failures::clear(conn, &[authorizer_appid.as_str()])?;
            bindings::set_state_of(conn, authorizer_appid, bindings::STATE_UNAUTHORIZED)?;
            Ok(())
        }
        PushKind::Biz {
            record,
            audit: Some(decision),
            ..
        } => audits::decided(conn, &record.appid, decision),
        _ => Ok(()),
    }
}

/// A pool error for each push of a batch that could not get a connection.
fn copy_of(e: &DbError) -> DbError {
    DbError::Task(format!("no database connection: {e}"))
}
