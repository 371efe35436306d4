# Installs the systemd unit and the example config; run by `cmake
# --install` (CMakeLists.txt sets RCW_SOURCE_DIR and RCW_SYSCONFDIR first).
# CMAKE_INSTALL_PREFIX here is the prefix of this very install, a
# `--prefix` given to `cmake --install` included, so the unit names the
# binary where it really lands.  Every path honours DESTDIR.

# The config belongs in RCW_SYSCONFDIR/rcwatch (/etc/rcwatch), where the
# unit and `rcwatch run` look.  An install that cannot write there (a
# user installing into a prefix of their own) puts it under the prefix
# instead of failing, and the unit it installs points there.
function(rcw_writable path out)
  while(NOT EXISTS "${path}" AND NOT path STREQUAL "")
    get_filename_component(path "${path}" DIRECTORY)
  endwhile()
  execute_process(COMMAND test -w "${path}" RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

if(NOT IS_ABSOLUTE "${RCW_SYSCONFDIR}")
  message(FATAL_ERROR "RCW_SYSCONFDIR must be an absolute path, not '${RCW_SYSCONFDIR}'")
endif()
set(rcw_etc "${RCW_SYSCONFDIR}")
rcw_writable("$ENV{DESTDIR}${rcw_etc}" rcw_etc_ok)
if(NOT rcw_etc_ok)
  set(rcw_etc "${CMAKE_INSTALL_PREFIX}/etc")
  message(STATUS "Cannot write ${RCW_SYSCONFDIR}: the config goes to ${rcw_etc}/rcwatch")
endif()

# Written straight to its place rather than through configure_file, so a
# build tree that another user once installed from needs no write access.
set(RCW_SYSCONFDIR "${rcw_etc}")
file(READ "${RCW_SOURCE_DIR}/systemd/rcwatch.service.in" rcw_unit)
string(CONFIGURE "${rcw_unit}" rcw_unit @ONLY)
set(rcw_unit_path "${CMAKE_INSTALL_PREFIX}/lib/systemd/system/rcwatch.service")
message(STATUS "Installing: $ENV{DESTDIR}${rcw_unit_path}")
file(WRITE "$ENV{DESTDIR}${rcw_unit_path}" "${rcw_unit}")
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${rcw_unit_path}")

# An operator's edited config is never replaced: the shipped one then
# lands beside it as rcwatch.yaml.example, to compare with.
set(rcw_conf_name "rcwatch.yaml")
set(rcw_conf "$ENV{DESTDIR}${rcw_etc}/rcwatch/rcwatch.yaml")
set(rcw_conf_edited FALSE)
if(EXISTS "${rcw_conf}")
  file(SHA256 "${rcw_conf}" rcw_old)
  file(SHA256 "${RCW_SOURCE_DIR}/config/rcwatch.yaml" rcw_new)
  if(NOT rcw_old STREQUAL rcw_new)
    set(rcw_conf_edited TRUE)
  endif()
endif()
if(rcw_conf_edited)
  set(rcw_conf_name "rcwatch.yaml.example")
  message(STATUS "Keeping $ENV{DESTDIR}${rcw_etc}/rcwatch/rcwatch.yaml; "
                 "the shipped config is rcwatch.yaml.example beside it")
endif()
file(INSTALL "${RCW_SOURCE_DIR}/config/rcwatch.yaml"
     DESTINATION "${rcw_etc}/rcwatch" RENAME "${rcw_conf_name}"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
