# The client benchmark: lode's client (layers up to http) and a libcurl
# multi client, when libcurl is there.
add_executable(bench-client-lode ${CMAKE_CURRENT_LIST_DIR}/lode.c)
target_include_directories(bench-client-lode PRIVATE
  ${CMAKE_SOURCE_DIR}/include)
lode_link_layer(bench-client-lode http)
pkg_check_modules(CURL IMPORTED_TARGET libcurl)
if(CURL_FOUND)
  add_executable(bench-client-curl ${CMAKE_CURRENT_LIST_DIR}/curl.c)
  target_link_libraries(bench-client-curl PRIVATE PkgConfig::CURL)
endif()
