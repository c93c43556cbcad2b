# libEinfuse.so with LLVM linked in statically.
#
# Debian's MLIR libraries link the LLVM shared library (libLLVM.so, with
# its own dependencies: libz3, libxml2, libicu, ...). For libEinfuse.so that
# would make the Python package and embedders depend on an LLVM
# installation. Every dependency on the `LLVM` target is therefore made
# conditional on the consuming target's EINFUSE_STATIC_LLVM property: the
# tools keep linking libLLVM.so, and a target with the property set (only
# EinfuseShared) links LLVM's static component archives instead, from which
# the linker takes only what is used.
if(NOT LLVM_LINK_LLVM_DYLIB OR NOT TARGET LLVM)
  return()
endif()

# LLVMSupport's link interface names zstd's imported target; only the
# runtime library is needed (libzstd-dev may be absent).
if(NOT TARGET zstd::libzstd_shared)
  find_library(EINFUSE_ZSTD_LIBRARY NAMES zstd libzstd.so.1)
  if(EINFUSE_ZSTD_LIBRARY)
    add_library(zstd::libzstd_shared SHARED IMPORTED)
    set_target_properties(zstd::libzstd_shared PROPERTIES
      IMPORTED_LOCATION "${EINFUSE_ZSTD_LIBRARY}")
  endif()
endif()
if(NOT TARGET zstd::libzstd_shared)
  message(STATUS "libEinfuse.so links libLLVM.so (zstd's CMake target not found)")
  return()
endif()

# Polly's archives are not installed; nothing Einfuse uses needs them.
if(TARGET LLVMExtensions)
  set_property(TARGET LLVMExtensions PROPERTY INTERFACE_LINK_LIBRARIES LLVMSupport)
endif()

set(einfuse_static_llvm)
foreach(lib IN LISTS LLVM_AVAILABLE_LIBS)
  if(lib MATCHES "^(LLVM|LTO|Remarks|Polly)$" OR
     lib MATCHES "BOLT|Exegesis|OptDriver|CFIVerify|Diff$|Fuzz|TableGen|LineEditor|Debuginfod|Symbolize|DWP|DebugInfoPDB|DebugInfoGSYM|DebugInfoLogicalView|WindowsManifest|LibDriver|DlltoolDriver|WindowsDriver|MCA$|XRay|Telemetry")
    continue()
  endif()
  if(TARGET ${lib})
    get_target_property(type ${lib} TYPE)
    if(type STREQUAL "STATIC_LIBRARY")
      list(APPEND einfuse_static_llvm ${lib})
    endif()
  endif()
endforeach()
add_library(EinfuseStaticLLVM INTERFACE)
target_link_libraries(EinfuseStaticLLVM INTERFACE
  "-Wl,--start-group" ${einfuse_static_llvm} "-Wl,--end-group")

set(einfuse_llvm_choice
  "$<IF:$<BOOL:$<TARGET_PROPERTY:EINFUSE_STATIC_LLVM>>,EinfuseStaticLLVM,LLVM>")

# Rewrites `LLVM` (and `$<LINK_ONLY:LLVM>`) in `target`'s link interface.
function(einfuse_make_llvm_conditional target)
  foreach(prop INTERFACE_LINK_LIBRARIES LINK_LIBRARIES)
    get_target_property(type ${target} TYPE)
    if(prop STREQUAL "LINK_LIBRARIES" AND type STREQUAL "INTERFACE_LIBRARY")
      continue()
    endif()
    get_target_property(libs ${target} ${prop})
    if(NOT libs)
      continue()
    endif()
    set(changed FALSE)
    set(out)
    foreach(item IN LISTS libs)
      if(item STREQUAL "LLVM")
        list(APPEND out "${einfuse_llvm_choice}")
        set(changed TRUE)
      elseif(item STREQUAL "$<LINK_ONLY:LLVM>")
        list(APPEND out "$<LINK_ONLY:${einfuse_llvm_choice}>")
        set(changed TRUE)
      else()
        list(APPEND out "${item}")
      endif()
    endforeach()
    if(changed)
      set_property(TARGET ${target} PROPERTY ${prop} "${out}")
    endif()
  endforeach()
endfunction()

get_directory_property(einfuse_imported DIRECTORY ${PROJECT_SOURCE_DIR}
                       IMPORTED_TARGETS)
foreach(t IN LISTS einfuse_imported)
  if(t MATCHES "^MLIR")
    einfuse_make_llvm_conditional(${t})
  endif()
endforeach()
get_property(einfuse_libs GLOBAL PROPERTY EINFUSE_ALL_LIBS)
foreach(t IN LISTS einfuse_libs)
  if(NOT t STREQUAL "EinfuseShared")
    einfuse_make_llvm_conditional(${t})
    if(TARGET obj.${t})
      einfuse_make_llvm_conditional(obj.${t})
    endif()
  endif()
endforeach()
set_property(TARGET EinfuseShared PROPERTY EINFUSE_STATIC_LLVM ON)
