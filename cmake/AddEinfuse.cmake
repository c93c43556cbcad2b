# Wrappers so every Einfuse library is built the MLIR way and is installed and
# exported in the Einfuse CMake package.
function(add_einfuse_library name)
  add_mlir_library(${name} ${ARGN} DISABLE_INSTALL)
  set_property(GLOBAL APPEND PROPERTY EINFUSE_ALL_LIBS ${name})
  install(TARGETS ${name} EXPORT EinfuseTargets
          ARCHIVE DESTINATION lib LIBRARY DESTINATION lib)
endfunction()

function(add_einfuse_dialect_library name)
  add_mlir_dialect_library(${name} ${ARGN} DISABLE_INSTALL)
  set_property(GLOBAL APPEND PROPERTY EINFUSE_ALL_LIBS ${name})
  install(TARGETS ${name} EXPORT EinfuseTargets
          ARCHIVE DESTINATION lib LIBRARY DESTINATION lib)
endfunction()

function(add_einfuse_tool name)
  add_llvm_executable(${name} ${ARGN})
  llvm_update_compile_flags(${name})
  install(TARGETS ${name} RUNTIME DESTINATION bin)
endfunction()
