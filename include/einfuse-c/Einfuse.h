/*===- Einfuse.h - Einfuse C API ------------------------------------------===*\
|* Compile kernels ahead of time from C, in process: from MLIR text          *|
|* (einfuseCompileSource, self-contained; what libEinfuse.so and the Python  *|
|* package use) or from an MLIR module of the MLIR C API (einfuseCompile-    *|
|* ModuleWithOptions; with the static libraries). Also registers the Ein     *|
|* dialect and the Einfuse passes with an MLIR context.                      *|
\*===----------------------------------------------------------------------===*/
#ifndef EINFUSE_C_EINFUSE_H
#define EINFUSE_C_EINFUSE_H

#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The version of this API: functions are only added within a version. */
#define EINFUSE_CAPI_VERSION 1

/** EINFUSE_CAPI_VERSION of the library (may differ from the header's). */
MLIR_CAPI_EXPORTED int einfuseGetAPIVersion(void);

/** The Einfuse release, "major.minor.patch". */
MLIR_CAPI_EXPORTED const char *einfuseGetVersion(void);

/** What to produce. */
typedef enum EinfuseEmitKind {
  EINFUSE_EMIT_ALL = 0,      /**< binary, assembly (GPUs), header, launcher, signature */
  EINFUSE_EMIT_ASSEMBLY = 1, /**< GPU targets: PTX / AMDGCN, header, signature; no ptxas or ld.lld */
} EinfuseEmitKind;

/** Options of a compilation. Initialise with einfuseCompileOptionsInit. */
typedef struct EinfuseCompileOptions {
  /** "cpu", "cpu:<arch>", "nvidia:sm_80,sm_90a", "amd:gfx942", ...
   *  (as einfuse-compile --target); NULL: "cpu". */
  const char *target;
  /** Base name of the files, header guard and macros; NULL: "kernels". */
  const char *name;
  /** Pipeline options, e.g. "threads=true tile-size=32"; NULL: none. */
  const char *pipelineOptions;
  /** An EinfuseEmitKind. */
  int emit;
} EinfuseCompileOptions;

/** Sets `options` to the defaults (NULLs, EINFUSE_EMIT_ALL). */
MLIR_CAPI_EXPORTED void einfuseCompileOptionsInit(EinfuseCompileOptions *options);

/** Kinds of artifact files. */
typedef enum EinfuseArtifactKind {
  EINFUSE_ARTIFACT_BINARY = 0,    /**< .o (CPU), .cubin, .hsaco */
  EINFUSE_ARTIFACT_ASSEMBLY = 1,  /**< .ptx, .s (GPUs) */
  EINFUSE_ARTIFACT_HEADER = 2,    /**< .h */
  EINFUSE_ARTIFACT_LAUNCHER = 3,  /**< .c */
  EINFUSE_ARTIFACT_SIGNATURE = 4, /**< .json */
} EinfuseArtifactKind;

/** The files of a compilation, owned by the caller. */
typedef struct EinfuseArtifacts EinfuseArtifacts;

/** Parses `source` (MLIR text; `sourceName` names it in diagnostics) and
 *  compiles it in process. Returns NULL on failure, after passing every
 *  diagnostic to `diagnostics` (may be NULL) as one text
 *  "name:line:col: error: message" per call. Each call creates its own
 *  MLIR context (concurrent calls from several threads are not tested). */
MLIR_CAPI_EXPORTED EinfuseArtifacts *
einfuseCompileSource(MlirStringRef source, MlirStringRef sourceName,
                     const EinfuseCompileOptions *options,
                     MlirStringCallback diagnostics, void *userData);

/** Compiles `module` (modified in place) with `options`. Returns NULL on
 *  failure, with diagnostics on the module's context. */
MLIR_CAPI_EXPORTED EinfuseArtifacts *
einfuseCompileModuleWithOptions(MlirModule module,
                                const EinfuseCompileOptions *options);

/** The number of files. */
MLIR_CAPI_EXPORTED intptr_t
einfuseArtifactsGetNumFiles(const EinfuseArtifacts *artifacts);

/** File `i`'s name ("<name>.h", "<name>.sm_90a.cubin", ...). */
MLIR_CAPI_EXPORTED MlirStringRef
einfuseArtifactsGetFileName(const EinfuseArtifacts *artifacts, intptr_t i);

/** File `i`'s kind (an EinfuseArtifactKind). */
MLIR_CAPI_EXPORTED int
einfuseArtifactsGetFileKind(const EinfuseArtifacts *artifacts, intptr_t i);

/** File `i`'s contents (binary-safe: use the length). */
MLIR_CAPI_EXPORTED MlirStringRef
einfuseArtifactsGetFileContents(const EinfuseArtifacts *artifacts, intptr_t i);

/** The first file of `kind`; an empty string when there is none. */
MLIR_CAPI_EXPORTED MlirStringRef
einfuseArtifactsGet(const EinfuseArtifacts *artifacts, int kind);

/** Frees `artifacts` (NULL is allowed). */
MLIR_CAPI_EXPORTED void einfuseArtifactsDestroy(EinfuseArtifacts *artifacts);

/** The Ein dialect, for mlirDialectHandleRegisterDialect and friends. */
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Ein, ein);

/** Adds Ein and every upstream dialect Einfuse uses to `registry`. */
MLIR_CAPI_EXPORTED void einfuseRegisterAllDialects(MlirDialectRegistry registry);

/** Registers Ein passes, Einfuse conversions and pipelines globally. */
MLIR_CAPI_EXPORTED void einfuseRegisterAllPasses(void);

/** Appends the CPU pipeline (Ein -> LLVM dialect) to `pm`. */
MLIR_CAPI_EXPORTED void einfuseBuildCPUPipeline(MlirOpPassManager pm);

/** Compiles `module` (modified in place) for `target` and calls
 *  `callback` for each of the object, the C header, the C launcher and the
 *  JSON signature, each preceded by its kind ("object", "header",
 *  "launcher", "signature") as a separate call. Returns failure (with
 *  diagnostics on the context) on error. Kept for API version 0 callers;
 *  einfuseCompileModuleWithOptions returns every file. */
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
