# Run by CPack (CPACK_PRE_BUILD_SCRIPTS) on the staged install of the runtime component, prefix
# /usr: turns it into the Debian package's tree.
# - the units go to /lib/systemd/system, where Debian 12's packages put them;
# - /etc/ssrd/ssrd.toml, the configuration the unit reads (a conffile: packaging/deb/conffiles);
# - /usr/lib/sysusers.d/ssrd.conf, the user the postinst creates;
# - man pages gzip-compressed, the copyright file and the changelog, as Debian policy wants;
# - no RUNPATH in ssrd-worker: the package depends on libnode108 in the system's library path
#   (install.cmake gives the installed ssrd-worker a RUNPATH only to a libnode unpacked in
#   third_party/, which is no place for a package to point at).
set(_src ${CPACK_SSRD_SOURCE_DIR})
# With components, CPack stages into a directory per package (here ALL_COMPONENTS_IN_ONE).
file(GLOB _ssrd ${CPACK_TEMPORARY_DIRECTORY}/usr/bin/ssrd ${CPACK_TEMPORARY_DIRECTORY}/*/usr/bin/ssrd)
list(LENGTH _ssrd _found)
if(NOT _found EQUAL 1)
  message(FATAL_ERROR "debian_layout.cmake: expected one usr/bin/ssrd under "
                      "${CPACK_TEMPORARY_DIRECTORY}, found: ${_ssrd}")
endif()
get_filename_component(_root ${_ssrd} DIRECTORY)
get_filename_component(_root ${_root}/../.. ABSOLUTE)

file(MAKE_DIRECTORY ${_root}/lib/systemd)
file(RENAME ${_root}/usr/${CPACK_SSRD_SYSTEMD_UNITDIR} ${_root}/lib/systemd/system)
file(REMOVE_RECURSE ${_root}/usr/lib/systemd)

# file(COPY_FILE), not file(INSTALL): CPack's DESTDIR is still set and INSTALL would add it again.
function(copy_into from to)
  get_filename_component(dir ${to} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  file(COPY_FILE ${from} ${to} ONLY_IF_DIFFERENT)
endfunction()
copy_into(${_src}/packaging/ssrd.toml ${_root}/etc/ssrd/ssrd.toml)
copy_into(${_src}/packaging/deb/sysusers.conf ${_root}/usr/lib/sysusers.d/ssrd.conf)

function(gzip_file file)
  execute_process(COMMAND gzip -9nf ${file} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "debian_layout.cmake: gzip ${file} failed")
  endif()
endfunction()
file(GLOB _pages ${_root}/usr/share/man/man*/*.[1-9])
foreach(page IN LISTS _pages)
  gzip_file(${page})
endforeach()

set(_doc ${_root}/usr/share/doc/ssrd)
# A native package (the version has no Debian revision): its changelog is changelog.gz.
copy_into(${_src}/packaging/deb/changelog ${_doc}/changelog)
gzip_file(${_doc}/changelog)
execute_process(COMMAND /usr/bin/python3 ${_src}/packaging/deb/make_copyright.py ${_src}
                        ${_doc}/copyright
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "debian_layout.cmake: writing the copyright file failed")
endif()

file(RPATH_REMOVE FILE ${_root}/usr/bin/ssrd-worker)
