# The net benchmark needs only the core and net layers (so a half-written
# upper layer never stops it): the lode echo server and the libuv load
# generator.
add_executable(bench-net-echo-server ${CMAKE_CURRENT_LIST_DIR}/echo-server.c)
target_include_directories(bench-net-echo-server PRIVATE
  ${CMAKE_SOURCE_DIR}/include)
lode_link_layer(bench-net-echo-server net)
add_executable(bench-net-load ${CMAKE_CURRENT_LIST_DIR}/load.c)
target_link_libraries(bench-net-load PRIVATE PkgConfig::UV)
# The floor: an echo server on bare libuv.
add_executable(bench-net-uv-echo-server
  ${CMAKE_CURRENT_LIST_DIR}/uv-echo-server.c)
target_link_libraries(bench-net-uv-echo-server PRIVATE PkgConfig::UV)
