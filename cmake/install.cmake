# Two install components: `runtime` (the programs, units, config, man pages, docs: what the Debian
# package holds) and `dev` (what embedding needs); `cmake --install` without --component puts both.
# `cmake --install`: the programs, the embeddable pool and the C++ client (static libraries, public
# headers under include/ssrd, a CMake package: find_package(ssrd) -> ssrd::pool, ssrd::client),
# pkg-config files (ssrd-pool, ssrd-client) for builds without CMake. tests/packaging checks the
# result from outside the tree.
include(CMakePackageConfigHelpers)

# ssrd finds ssrd-worker beside itself, so both go to bin/. Their build RUNPATH (into this tree) is
# dropped at install; only ssrd-worker keeps one, and only to a libnode that scripts/setup
# unpacked into third_party/ (a system libnode108 needs none).
install(TARGETS ssrd ssrd-worker ssrctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
if(NOT V8_LIBRARY_DIR MATCHES "^/usr/lib")
  set_target_properties(ssrd-worker PROPERTIES INSTALL_RPATH ${V8_LIBRARY_DIR})
endif()

set_target_properties(ssrd_ipc PROPERTIES EXPORT_NAME ipc)
set_target_properties(ssrd_snapshot_cache PROPERTIES EXPORT_NAME snapshot_cache)
set_target_properties(ssrd_pool PROPERTIES EXPORT_NAME pool)
set_target_properties(ssrd_client PROPERTIES EXPORT_NAME client)
install(TARGETS ssrd_ipc ssrd_snapshot_cache ssrd_pool ssrd_client
  EXPORT ssrdTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
# The public headers and exactly the headers they include, in the tree's layout, so that an
# embedding program writes the same #include "pool/pool.h" as the code in this repository.
foreach(header ipc/error.h ipc/frame.h ipc/message.h ipc/connection.h
               pool/pool.h pool/socket_server.h clients/cpp/client.h)
  get_filename_component(_dir ${header} DIRECTORY)
  install(FILES ${header} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ssrd/${_dir} COMPONENT dev)
endforeach()

set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/ssrd)
install(EXPORT ssrdTargets NAMESPACE ssrd:: DESTINATION ${_cmake_dir} COMPONENT dev)
configure_package_config_file(cmake/ssrdConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/ssrdConfig.cmake INSTALL_DESTINATION ${_cmake_dir}
  PATH_VARS CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ssrdConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ssrdConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/ssrdConfigVersion.cmake
        DESTINATION ${_cmake_dir} COMPONENT dev)

# pkg-config files name the prefix, which is known only at install time (cmake --install --prefix).
foreach(pc ssrd-pool ssrd-client)
  install(CODE "
    string(RANDOM LENGTH 12 _run)  # one staging directory per install run, as packaging/ does
    set(SSRD_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    set(CMAKE_INSTALL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
    set(CMAKE_INSTALL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
    set(CMAKE_INSTALL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
    set(PROJECT_VERSION \"${PROJECT_VERSION}\")
    configure_file(\"${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in\"
                   \"${CMAKE_CURRENT_BINARY_DIR}/install-staging/\${_run}/${pc}.pc\" @ONLY)
    file(INSTALL \"${CMAKE_CURRENT_BINARY_DIR}/install-staging/\${_run}/${pc}.pc\"
         DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\")
    file(REMOVE_RECURSE \"${CMAKE_CURRENT_BINARY_DIR}/install-staging/\${_run}\")
  " COMPONENT dev)
endforeach()
