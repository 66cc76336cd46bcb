-- wrk script for kirim-bench: the external load generator of the API phases.
--
--   wrk -t2 -c8 -d10s -s kirim.lua URL -- MODE KEY [IDS_FILE LABELS_FILE PHONE_NUMBER_ID | PATH]
--
-- MODE bulk: POST …/contacts/bulk_label with 1,000 consecutive ids from a random start of
--   IDS_FILE (one id a line), a label drawn at random from LABELS_FILE, attach and detach
--   alternating per connection thread.
-- MODE contact: GET …/contacts/{id} of an id drawn at random from IDS_FILE.
-- MODE path: GET PATH (e.g. a label's page, or /livez) with the key.
-- done() prints one line `wrk-json {…}` that kirim-bench parses.

local mode, ids, labels, prefix, fixed_path
local calls = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

local function read_lines(file)
  local lines = {}
  for line in io.lines(file) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  return lines
end

function init(args)
  mode = args[1]
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  math.randomseed(os.time() * 97 + (thread_no or 0))
  if mode == "bulk" or mode == "contact" then
    ids = read_lines(args[3])
    labels = read_lines(args[4])
    prefix = "/v1/" .. args[5] .. "/contacts"
    wrk.headers["Content-Type"] = "application/json"
  else
    fixed_path = args[3]
  end
end

local function bulk_body()
  local start = math.random(1, #ids - 999)
  local quoted = {}
  for i = 0, 999 do quoted[i + 1] = '"' .. ids[start + i] .. '"' end
  calls = calls + 1
  local operation = (calls % 2 == 1) and "attach" or "detach"
  return '{"contact_ids":[' .. table.concat(quoted, ",") .. '],"label_id":"'
    .. labels[math.random(#labels)] .. '","operation":"' .. operation .. '"}'
end

function request()
  if mode == "bulk" then
    return wrk.format("POST", prefix .. "/bulk_label", nil, bulk_body())
  elseif mode == "contact" then
    return wrk.format("GET", prefix .. "/" .. ids[math.random(#ids)])
  else
    return wrk.format("GET", fixed_path)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'wrk-json {"requests":%d,"seconds":%.3f,"socket_errors":%d,"non_2xx":%d,' ..
    '"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
