-- wrk script for bench/load.py: every request opens the summary of a different person, with
-- the session cookie of a clinician at that person's GP practice.
--
-- TARGETS names a file of "path cookie" lines (one per person, in random order). Each thread
-- starts at its own offset and walks the list, so consecutive requests never repeat a person.
-- Any response other than 200 is counted (wrk itself counts only 4xx/5xx as errors, so a
-- redirect to the sign-in page would otherwise pass as a view) and reported in done().

local targets = {}
local threads = {}

local function load_targets()
  local path = os.getenv("TARGETS")
  for line in io.lines(path) do
    local url, cookie = line:match("^(%S+) (%S+)$")
    if url then
      targets[#targets + 1] = { url, cookie }
    end
  end
end

function setup(thread)
  thread:set("index", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  load_targets()
  next_target = 1 + (index * 7919) % #targets -- spread the threads over the list
  statuses = {}
  non200 = 0
end

function request()
  local target = targets[next_target]
  next_target = next_target % #targets + 1
  return wrk.format("GET", target[1], { ["Cookie"] = "carerecord_session=" .. target[2] })
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local refused, counts, by_status = 0, {}, {}
  for _, thread in ipairs(threads) do
    refused = refused + thread:get("non200")
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  for status, count in pairs(counts) do
    by_status[#by_status + 1] = string.format('"%d": %d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    '{"wrk": {"requests": %d, "duration_us": %d, "non200": %d, "statuses": {%s}, '
      .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}}\n',
    summary.requests, summary.duration, refused, table.concat(by_status, ", "),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean
  ))
end
