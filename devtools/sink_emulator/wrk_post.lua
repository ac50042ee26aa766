-- wrk script: POST a body of 500 tutorial-shaped flight records to /v2/sinks/bench.
-- Usage: wrk -t2 -c16 -d5s -s devtools/sink_emulator/wrk_post.lua http://127.0.0.1:PORT
-- By default the same body is sent each time, so after the first request every record is an
-- upsert. With env WRK_DISTINCT=1 every request carries 500 new flight_ids (as in an end-to-end run,
-- where the store keeps growing); building those bodies costs wrk some CPU of its own. With
-- env WRK_PAYLOAD=mapped the records are flat objects of the table's columns (sluice
-- --payload mapped) instead of the nested tutorial shape.
local mapped = os.getenv("WRK_PAYLOAD") == "mapped"
-- The _id comes first in both shapes so one prefix serves (mapped: "_id", raw: "flight_id").
local function id_key() if mapped then return "_id" else return "flight_id" end end
local suffixes = {}
local records = {}
for i = 1, 500 do
  if mapped then
    -- sluice --payload mapped: one flat object of the table's columns.
    suffixes[i] = string.format(
      ',"airline":"Airline %d","stops":"%d","price":%d.%02d,' ..
      '"origin_airport":"Origin Airport %d","origin_iata":"O%02d","origin_icao":"KO%02d","origin_loc_city":"City %d","origin_loc_state":"ST","origin_loc_country":"US",' ..
      '"destination_airport":"Destination Airport %d","destination_iata":"D%02d","destination_icao":"KD%02d","destination_loc_city":"Town %d","destination_loc_state":"TS","destination_loc_country":"US"}}',
      i % 17, i % 3, 100 + i, i % 100, i % 50, i % 100, i % 100, i % 40, i % 60, i % 100, i % 100, i % 30)
  else
    suffixes[i] = string.format(
      ',"airline":"Airline %d","stops":"%d","price":%d.%02d,' ..
      '"origin":{"airport":"Origin Airport %d","iata":"O%02d","icao":"KO%02d","city":"City %d","state":"ST","country":"US"},' ..
      '"destination":{"airport":"Destination Airport %d","iata":"D%02d","icao":"KD%02d","city":"Town %d","state":"TS","country":"US"}}}',
      i % 17, i % 3, 100 + i, i % 100, i % 50, i % 100, i % 100, i % 40, i % 60, i % 100, i % 100, i % 30)
  end
  records[i] = '{"value":{"' .. id_key() .. '":' .. i .. suffixes[i]
end
wrk.method = "POST"
wrk.path = "/v2/sinks/bench"
wrk.body = '{"records":[' .. table.concat(records, ",") .. ']}'
wrk.headers["Content-Type"] = "application/json"

-- Decided at load time so the default run keeps wrk's static (pre-built) request.
local distinct = os.getenv("WRK_DISTINCT") == "1"
local thread_count = 0
function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

if distinct then
  local next_base = nil
  request = function()
    -- Threads use disjoint id ranges: thread k starts at 1e9 * k.
    next_base = next_base or (thread_index or 0) * 1000000000
    local parts = {}
    for i = 1, 500 do
      parts[i] = '{"value":{"' .. id_key() .. '":' .. (next_base + i) .. suffixes[i]
    end
    next_base = next_base + 500
    return wrk.format(nil, nil, nil, '{"records":[' .. table.concat(parts, ",") .. ']}')
  end
end

local non200 = 0
response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("body bytes: %d, records/s: %.0f, MB/s: %.1f\n", #wrk.body,
    summary.requests / (summary.duration / 1e6) * 500,
    summary.requests * #wrk.body / (summary.duration / 1e6) / 1e6))
end
