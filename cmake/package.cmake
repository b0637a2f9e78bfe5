# The Debian package, ssrd_VERSION_ARCH.deb, made by CPack from the `runtime` install component
# (the programs, the man pages, the units, the docs; not the libraries and headers, which are the
# `dev` component): `scripts/package`, or `cpack --config build/CPackConfig.cmake -B OUTDIR`.
# packaging/deb/debian_layout.cmake turns the staged /usr tree into Debian's layout; the maintainer
# scripts are in packaging/deb/. docs/operations.md, "Debian package".
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ssrd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(SSRD_DEB_MAINTAINER "ssrd maintainers <ssrd@example.org>" CACHE STRING
    "the Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT ${SSRD_DEB_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "server-side rendering daemon for JavaScript UI components")
# The extended description; CPack puts the summary above it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "ssrd renders React, Vue, Svelte or Preact components for a web backend in any
language: the backend sends the component's name and props over a Unix socket
and gets back HTML and the hydration script. One supervisor queues requests and
hands them to worker processes, each running one V8 isolate (from libnode108),
so that a crash, a hung render or a heap overflow costs one request, never the
service.
.
This package holds ssrd, its worker and the ssrctl client, systemd units
(Type=notify, socket activation, watchdog, hardened) and the configuration in
/etc/ssrd/ssrd.toml.")
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # ssrd_0.1.0_amd64.deb

# Only the runtime component, as one package named ssrd.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
# The install runs with prefix /usr under a DESTDIR, so that what it writes into the units
# (ExecStart=/usr/bin/ssrd --config /etc/ssrd/ssrd.toml) is the installed path, not the staging one.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

# Dependencies: dpkg-shlibdeps finds the package of every library the programs load. libnode108
# unpacked into third_party/ (scripts/setup, when a Node.js from elsewhere is installed) belongs to
# no installed package, so dpkg-shlibdeps is shown where it is and the dependency is written here
# as Debian's libnode108 states it in its shlibs file: libnode108 (>= its upstream version).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(_deb_depends "adduser")  # the postinst falls back to adduser where systemd-sysusers is missing
if(NOT V8_LIBRARY_DIR MATCHES "^/usr/lib")
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${V8_LIBRARY_DIR})
  set(_libnode_changelog ${V8_LIBRARY_DIR}/../../share/doc/libnode108/changelog.Debian.gz)
  execute_process(COMMAND gzip -dc ${_libnode_changelog} OUTPUT_VARIABLE _changelog
                  RESULT_VARIABLE _rc ERROR_QUIET)
  # First line: "nodejs (18.20.4+dfsg-1~deb12u3) bookworm-security; urgency=medium".
  if(NOT _rc EQUAL 0 OR NOT _changelog MATCHES "^[a-z0-9.+-]+ \\(([^)]+)-[^-)]+\\)")
    message(FATAL_ERROR "cannot read libnode108's version from ${_libnode_changelog}: run scripts/setup")
  endif()
  string(APPEND _deb_depends ", libnode108 (>= ${CMAKE_MATCH_1})")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS ${_deb_depends})

set(_deb ${PROJECT_SOURCE_DIR}/packaging/deb)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_deb}/conffiles ${_deb}/postinst ${_deb}/prerm ${_deb}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PRE_BUILD_SCRIPTS ${_deb}/debian_layout.cmake)
# For debian_layout.cmake (every CPACK_* variable reaches the scripts CPack runs).
set(CPACK_SSRD_SOURCE_DIR ${PROJECT_SOURCE_DIR})
set(CPACK_SSRD_SYSTEMD_UNITDIR ${SSRD_SYSTEMD_UNITDIR})

include(CPack)
