-- wrk script: POSTs pre-built DER OCSP requests (one file per certificate, listed in
-- $KYSO_OCSP_REQUESTS), cycling through them, to $KYSO_OCSP_PATH.
local bodies = {}
for path in io.lines(os.getenv("KYSO_OCSP_REQUESTS")) do
  local f = assert(io.open(path, "rb"))
  bodies[#bodies + 1] = f:read("*a")
  f:close()
end
local target = os.getenv("KYSO_OCSP_PATH") or "/ocsp"
local close = os.getenv("KYSO_CONNECTION_CLOSE") == "1"
local n = 0

function init(args)
  -- Threads start at different places in the list.
  n = math.random(#bodies)
end

function request()
  n = n % #bodies + 1
  local headers = { ["Content-Type"] = "application/ocsp-request" }
  if close then headers["Connection"] = "close" end
  return wrk.format("POST", target, headers, bodies[n])
end
