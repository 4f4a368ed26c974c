-- A request with 30 headers, about 2 KB.
init = function(args)
  local h = {}
  for i = 1, 30 do
    h["X-Header-" .. i] = string.rep("v", 56)
  end
  req = wrk.format("GET", "/", h)
end
request = function() return req end
