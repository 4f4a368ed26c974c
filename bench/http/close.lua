-- A new connection per request: every request says "Connection: close"
-- (wrk then reconnects).
wrk.headers["Connection"] = "close"
