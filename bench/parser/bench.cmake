# The parser benchmark: lode's parser alone, and beside it llhttp when its
# C sources are in LLHTTP_DIR (bench/parser/get-llhttp.sh puts Debian's
# node-llhttp there; default build/llhttp under the source tree) and
# picohttpparser when it is in PICO_DIR (bench/parser/get-pico.sh; default
# build/pico). Everything at -O3; pico with SSE4.2, as h2o builds it.
set(LLHTTP_DIR ${CMAKE_SOURCE_DIR}/build/llhttp CACHE PATH
    "llhttp's generated C (llhttp.c, api.c, http.c, llhttp.h)")
set(PICO_DIR ${CMAKE_SOURCE_DIR}/build/pico CACHE PATH
    "picohttpparser (picohttpparser.c, picohttpparser.h)")
add_executable(bench-parser-http ${CMAKE_CURRENT_LIST_DIR}/bench-http.c)
target_link_libraries(bench-parser-http PRIVATE lode_parser)
target_compile_options(bench-parser-http PRIVATE -O3)
if(EXISTS ${LLHTTP_DIR}/llhttp.c)
  add_library(bench_llhttp STATIC ${LLHTTP_DIR}/llhttp.c ${LLHTTP_DIR}/api.c
              ${LLHTTP_DIR}/http.c)
  target_include_directories(bench_llhttp PUBLIC ${LLHTTP_DIR})
  target_compile_options(bench_llhttp PRIVATE -O3 -w)
  target_link_libraries(bench-parser-http PRIVATE bench_llhttp)
  target_compile_definitions(bench-parser-http PRIVATE HAVE_LLHTTP=1)
endif()
if(EXISTS ${PICO_DIR}/picohttpparser.c)
  add_library(bench_pico STATIC ${PICO_DIR}/picohttpparser.c)
  target_include_directories(bench_pico PUBLIC ${PICO_DIR})
  target_compile_options(bench_pico PRIVATE -O3 -msse4.2 -w)
  target_link_libraries(bench-parser-http PRIVATE bench_pico)
  target_compile_definitions(bench-parser-http PRIVATE HAVE_PICO=1)
endif()
# An instruction counter for code valgrind cannot run (see stepcount.c).
add_executable(bench-parser-stepcount ${CMAKE_CURRENT_LIST_DIR}/stepcount.c)
