# The TLS benchmark: lode's HTTPS server and the OpenSSL load generator
# (the HTTPS clients are bench/client's, given a CA).
add_executable(bench-tls-server ${CMAKE_CURRENT_LIST_DIR}/server.c)
target_link_libraries(bench-tls-server PRIVATE lode_static)
add_executable(bench-tls-load ${CMAKE_CURRENT_LIST_DIR}/load.c)
target_link_libraries(bench-tls-load PRIVATE OpenSSL::SSL OpenSSL::Crypto)
