/*===- Einfuse.h - Einfuse C API ------------------------------------------===*\
|* Register the Ein dialect and the Einfuse passes with an MLIR context from  *|
|* C, run the pipelines, and compile kernels ahead of time.                   *|
\*===----------------------------------------------------------------------===*/
#ifndef EINFUSE_C_EINFUSE_H
#define EINFUSE_C_EINFUSE_H

#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The Ein dialect, for mlirDialectHandleRegisterDialect and friends. */
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Ein, ein);

/** Adds Ein and every upstream dialect Einfuse uses to `registry`. */
MLIR_CAPI_EXPORTED void einfuseRegisterAllDialects(MlirDialectRegistry registry);

/** Registers Ein passes, Einfuse conversions and pipelines globally. */
MLIR_CAPI_EXPORTED void einfuseRegisterAllPasses(void);

/** Appends the CPU pipeline (Ein -> LLVM dialect) to `pm`. */
MLIR_CAPI_EXPORTED void einfuseBuildCPUPipeline(MlirOpPassManager pm);

/** Compiles `module` (modified in place) for `target` ("cpu") and calls
 *  `callback` three times: with the object, the C header and the C launcher,
 *  each preceded by its kind ("object", "header", "launcher") as a separate
 *  call. Returns failure (with diagnostics on the context) on error. */
MLIR_CAPI_EXPORTED MlirLogicalResult
einfuseCompileModule(MlirModule module, MlirStringRef target,
                     MlirStringRef baseName, MlirStringCallback callback,
                     void *userData);

/// Byte offset of the first input known to crash MLIR's parser in
/// `source` (e.g. `array<index: ...>`), or -1 if there is none. Call it
/// before mlirModuleCreateParse on untrusted text; `message` (may be NULL)
/// receives what to tell the user.
MLIR_CAPI_EXPORTED intptr_t einfuseFindParserHazard(MlirStringRef source,
                                                    MlirStringCallback message,
                                                    void *userData);

#ifdef __cplusplus
}
#endif

#endif
