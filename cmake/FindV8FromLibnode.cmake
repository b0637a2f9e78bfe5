# V8 10.2 from Debian's libnode108 + libnode-dev: either installed system-wide, or unpacked by
# scripts/setup into third_party/libnode when a Node.js from elsewhere conflicts with them.
# Only the system headers under include/node of *libnode-dev* are V8 10.2: a NodeSource nodejs
# ships other headers in /usr/include/node, so the local prefix is searched first.
set(_libnode_local ${PROJECT_SOURCE_DIR}/third_party/libnode/usr)
find_path(V8_INCLUDE_DIR v8.h
  PATHS ${_libnode_local}/include/node /usr/include/node
  NO_DEFAULT_PATH REQUIRED)
find_library(V8_LIBRARY NAMES node.so.108 libnode.so.108 node
  PATHS ${_libnode_local}/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu
  NO_DEFAULT_PATH REQUIRED)
file(STRINGS ${V8_INCLUDE_DIR}/v8-version.h _v8_major REGEX "define V8_MAJOR_VERSION")
if(NOT _v8_major MATCHES " 10$")
  message(FATAL_ERROR "V8 headers in ${V8_INCLUDE_DIR} are not V8 10 (${_v8_major}); run scripts/setup")
endif()
add_library(ssrd::v8 INTERFACE IMPORTED)
target_include_directories(ssrd::v8 SYSTEM INTERFACE ${V8_INCLUDE_DIR})
target_link_libraries(ssrd::v8 INTERFACE ${V8_LIBRARY})
get_filename_component(V8_LIBRARY_DIR ${V8_LIBRARY} DIRECTORY)
# Binaries that link V8 find an unpacked libnode through their RUNPATH.
set(CMAKE_BUILD_RPATH ${V8_LIBRARY_DIR})
message(STATUS "V8 (libnode): ${V8_INCLUDE_DIR}, ${V8_LIBRARY}")
