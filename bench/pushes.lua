-- wrk script for bench/run: sends the pushes of a file made by bench/pushes.py,
-- one line each ("<path>\t<body>"), in order, each once. `wrk ... -- <file>
-- <xml|cloudrun>`. If the run outlasts the file it starts again from the top
-- (the callback then sees retries) and says so at the end.
local lines, count, next_line, wrapped = {}, 0, 0, 0
local headers = { ["Content-Type"] = "application/xml" }

function init(args)
  for line in io.lines(args[1]) do
    count = count + 1
    lines[count] = line
  end
  if args[2] == "cloudrun" then
    headers = { ["Content-Type"] = "application/json", ["X-WX-SOURCE"] = "bench" }
  end
end

function request()
  next_line = next_line + 1
  if next_line > count then
    next_line = 1
    wrapped = wrapped + 1
  end
  local line = lines[next_line]
  local tab = line:find("\t", 1, true)
  return wrk.format("POST", line:sub(1, tab - 1), headers, line:sub(tab + 1))
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done()
  for _, thread in ipairs(threads) do
    local times = thread:get("wrapped")
    if times and times > 0 then
      io.write(string.format("WRAPPED %d\n", times))
    end
  end
end
