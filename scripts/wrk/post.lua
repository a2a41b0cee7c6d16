-- wrk script for make bench-http: every request POSTs the JSON body read from
-- $WRK_BODY_FILE, with "Authorization: $WRK_BEARER" when that is set. The
-- body is read once at start, so the script costs wrk nothing per request.
local f = assert(io.open(os.getenv("WRK_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local bearer = os.getenv("WRK_BEARER")
if bearer ~= nil and bearer ~= "" then
  wrk.headers["Authorization"] = bearer
end
