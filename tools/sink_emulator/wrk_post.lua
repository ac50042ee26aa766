-- wrk script: POST a body of 500 tutorial-shaped flight records to /v2/sinks/bench.
-- Usage: wrk -t2 -c16 -d5s -s tools/sink_emulator/wrk_post.lua http://127.0.0.1:PORT
-- (the same body is sent each time, so after the first request every record is an upsert)
local records = {}
for i = 1, 500 do
  records[i] = string.format(
    '{"value":{"flight_id":%d,"airline":"Airline %d","stops":"%d","price":%d.%02d,' ..
    '"origin":{"airport":"Origin Airport %d","iata":"O%02d","icao":"KO%02d","city":"City %d","state":"ST","country":"US"},' ..
    '"destination":{"airport":"Destination Airport %d","iata":"D%02d","icao":"KD%02d","city":"Town %d","state":"TS","country":"US"}}}',
    i, i % 17, i % 3, 100 + i, i % 100, i % 50, i % 100, i % 100, i % 40, i % 60, i % 100, i % 100, i % 30)
end
wrk.method = "POST"
wrk.path = "/v2/sinks/bench"
wrk.body = '{"records":[' .. table.concat(records, ",") .. ']}'
wrk.headers["Content-Type"] = "application/json"

local non200 = 0
response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("body bytes: %d, records/s: %.0f, MB/s: %.1f\n", #wrk.body,
    summary.requests / (summary.duration / 1e6) * 500,
    summary.requests * #wrk.body / (summary.duration / 1e6) / 1e6))
end
