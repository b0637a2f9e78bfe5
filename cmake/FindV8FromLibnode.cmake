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

# The full version string V8 reports at run time (v8::V8::GetVersion(), e.g. "10.2.154.26-node.37"):
# the numbers from v8-version.h plus Node's embedder string from common.gypi. The supervisor names
# snapshot files with it without linking V8; tests/snapshots checks it against the runtime's.
file(STRINGS ${V8_INCLUDE_DIR}/v8-version.h _v8_version_lines REGEX "define V8_(MAJOR_VERSION|MINOR_VERSION|BUILD_NUMBER|PATCH_LEVEL) ")
foreach(_part MAJOR_VERSION MINOR_VERSION BUILD_NUMBER PATCH_LEVEL)
  string(REGEX MATCH "V8_${_part} +([0-9]+)" _m "${_v8_version_lines}")
  set(_v8_${_part} ${CMAKE_MATCH_1})
endforeach()
set(_v8_embedder "")
if(EXISTS ${V8_INCLUDE_DIR}/common.gypi)
  file(STRINGS ${V8_INCLUDE_DIR}/common.gypi _v8_embedder_line REGEX "'v8_embedder_string'")
  string(REGEX MATCH "'v8_embedder_string': *'([^']*)'" _m "${_v8_embedder_line}")
  set(_v8_embedder ${CMAKE_MATCH_1})
endif()
set(SSRD_V8_VERSION_STRING "${_v8_MAJOR_VERSION}.${_v8_MINOR_VERSION}.${_v8_BUILD_NUMBER}.${_v8_PATCH_LEVEL}${_v8_embedder}")
message(STATUS "V8 version string: ${SSRD_V8_VERSION_STRING}")
