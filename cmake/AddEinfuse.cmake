# Wrappers so every Einfuse library is built the MLIR way and is installed and
# exported in the Einfuse CMake package, with its include directories.
function(einfuse_export_library name)
  set_property(GLOBAL APPEND PROPERTY EINFUSE_ALL_LIBS ${name})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/dialects>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/dialects>
    $<INSTALL_INTERFACE:include>)
  install(TARGETS ${name} EXPORT EinfuseTargets
          ARCHIVE DESTINATION lib LIBRARY DESTINATION lib)
endfunction()

function(add_einfuse_library name)
  add_mlir_library(${name} ${ARGN} DISABLE_INSTALL)
  einfuse_export_library(${name})
endfunction()

function(add_einfuse_dialect_library name)
  add_mlir_dialect_library(${name} ${ARGN} DISABLE_INSTALL)
  einfuse_export_library(${name})
endfunction()

function(add_einfuse_tool name)
  add_llvm_executable(${name} ${ARGN})
  llvm_update_compile_flags(${name})
  install(TARGETS ${name} RUNTIME DESTINATION bin)
endfunction()
