-- wrk script: POSTs one DER time-stamp request ($KYSO_TSA_REQUEST) to /tsa. Every answer
-- is a fresh token (own serial number and time), so each request costs one signature.
local f = assert(io.open(os.getenv("KYSO_TSA_REQUEST"), "rb"))
local body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.path = "/tsa"
wrk.body = body
wrk.headers["Content-Type"] = "application/timestamp-query"
