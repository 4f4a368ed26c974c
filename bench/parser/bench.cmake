# The parser benchmark: lode's parser alone, and llhttp beside it when its
# C sources are in LLHTTP_DIR (bench/parser/get-llhttp.sh puts Debian's
# node-llhttp there; default build/llhttp under the source tree).
set(LLHTTP_DIR ${CMAKE_SOURCE_DIR}/build/llhttp CACHE PATH
    "llhttp's generated C (llhttp.c, api.c, http.c, llhttp.h)")
add_executable(bench-parser-http ${CMAKE_CURRENT_LIST_DIR}/bench-http.c)
target_link_libraries(bench-parser-http PRIVATE lode_parser)
target_compile_options(bench-parser-http PRIVATE -O2)
if(EXISTS ${LLHTTP_DIR}/llhttp.c)
  add_library(bench_llhttp STATIC ${LLHTTP_DIR}/llhttp.c ${LLHTTP_DIR}/api.c
              ${LLHTTP_DIR}/http.c)
  target_include_directories(bench_llhttp PUBLIC ${LLHTTP_DIR})
  target_compile_options(bench_llhttp PRIVATE -O2 -w)
  target_link_libraries(bench-parser-http PRIVATE bench_llhttp)
  target_compile_definitions(bench-parser-http PRIVATE HAVE_LLHTTP=1)
endif()
