//===- CAPI.cpp - Einfuse C API --------------------------------------------===//
#include "einfuse-c/Einfuse.h"

#include "Ein/IR/EinDialect.h"
#include "einfuse/Compiler.h"
#include "einfuse/InitAll.h"
#include "einfuse/InputCheck.h"
#include "einfuse/Pipelines.h"
#include "einfuse/Version.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Pass.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Ein, ein, einfuse::ein::EinDialect)

struct EinfuseArtifacts {
  struct File {
    std::string name;
    int kind;
    std::string contents;
  };
  std::vector<File> files;
};

int einfuseGetAPIVersion(void) { return EINFUSE_CAPI_VERSION; }

const char *einfuseGetVersion(void) { return EINFUSE_VERSION_STRING; }

void einfuseCompileOptionsInit(EinfuseCompileOptions *options) {
  if (options)
    *options = EinfuseCompileOptions{nullptr, nullptr, nullptr,
                                     EINFUSE_EMIT_ALL};
}

/// Compiles `module` with `options`; errors go to the module's context.
static EinfuseArtifacts *compile(mlir::ModuleOp module,
                                 const EinfuseCompileOptions *options) {
  EinfuseCompileOptions defaults;
  einfuseCompileOptionsInit(&defaults);
  if (!options)
    options = &defaults;
  llvm::StringRef target = options->target ? options->target : "cpu";
  llvm::StringRef name = options->name ? options->name : "kernels";
  if (options->emit != EINFUSE_EMIT_ALL &&
      options->emit != EINFUSE_EMIT_ASSEMBLY) {
    mlir::emitError(module.getLoc(), "unknown emit kind ")
        << options->emit << " (expected EINFUSE_EMIT_ALL or "
        << "EINFUSE_EMIT_ASSEMBLY)";
    return nullptr;
  }
  if (name.empty() || name.find_first_of("/\\\"<>") != llvm::StringRef::npos) {
    mlir::emitError(module.getLoc(), "invalid name '")
        << name << "': a file name without a directory is expected";
    return nullptr;
  }
  std::string error;
  llvm::FailureOr<einfuse::TargetSpec> spec =
      einfuse::parseTarget(target, error);
  if (llvm::failed(spec)) {
    mlir::emitError(module.getLoc(), error);
    return nullptr;
  }
  einfuse::CompileOptions compileOptions;
  compileOptions.pipelineOptions =
      options->pipelineOptions ? options->pipelineOptions : "";
  compileOptions.assemblyOnly = options->emit == EINFUSE_EMIT_ASSEMBLY;
  auto artifacts = einfuse::compileModule(module, *spec, name, compileOptions);
  if (llvm::failed(artifacts))
    return nullptr;
  auto *out = new EinfuseArtifacts;
  for (einfuse::ArtifactFile &f : artifacts->files)
    out->files.push_back(
        {(name + f.suffix).str(), static_cast<int>(f.kind), f.contents});
  return out;
}

EinfuseArtifacts *einfuseCompileSource(MlirStringRef source,
                                       MlirStringRef sourceName,
                                       const EinfuseCompileOptions *options,
                                       MlirStringCallback diagnostics,
                                       void *userData) {
  llvm::StringRef text = unwrap(source);
  std::string bufferName =
      sourceName.length ? unwrap(sourceName).str() : "<source>";
  auto report = [&](llvm::StringRef message) {
    if (diagnostics)
      diagnostics(mlirStringRefCreate(message.data(), message.size()),
                  userData);
  };
  if (auto hazard = einfuse::findParserHazard(text)) {
    report(bufferName + ": error: " + hazard->second);
    return nullptr;
  }
  if (text.trim().empty()) {
    report(bufferName + ":1:1: error: input is empty");
    return nullptr;
  }
  mlir::DialectRegistry registry;
  einfuse::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, bufferName), llvm::SMLoc());
  // Render each diagnostic as the tools do (file:line:col: error: ...),
  // into a string per diagnostic.
  std::string rendered;
  llvm::raw_string_ostream os(rendered);
  struct Renderer : mlir::SourceMgrDiagnosticHandler {
    using SourceMgrDiagnosticHandler::SourceMgrDiagnosticHandler;
    using SourceMgrDiagnosticHandler::emitDiagnostic;
  } handler(sourceMgr, &context, os);
  mlir::ScopedDiagnosticHandler flush(&context, [&](mlir::Diagnostic &diag) {
    rendered.clear();
    handler.emitDiagnostic(diag);
    report(llvm::StringRef(rendered).rtrim());
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      einfuse::parseKernelSource(sourceMgr, &context);
  if (!module)
    return nullptr;
  return compile(*module, options);
}

EinfuseArtifacts *
einfuseCompileModuleWithOptions(MlirModule module,
                                const EinfuseCompileOptions *options) {
  return compile(unwrap(module), options);
}

intptr_t einfuseArtifactsGetNumFiles(const EinfuseArtifacts *artifacts) {
  return artifacts ? static_cast<intptr_t>(artifacts->files.size()) : 0;
}

static const EinfuseArtifacts::File *getFile(const EinfuseArtifacts *a,
                                             intptr_t i) {
  if (!a || i < 0 || i >= static_cast<intptr_t>(a->files.size()))
    return nullptr;
  return &a->files[i];
}

MlirStringRef einfuseArtifactsGetFileName(const EinfuseArtifacts *artifacts,
                                          intptr_t i) {
  const auto *f = getFile(artifacts, i);
  return f ? mlirStringRefCreate(f->name.data(), f->name.size())
           : mlirStringRefCreate("", 0);
}

int einfuseArtifactsGetFileKind(const EinfuseArtifacts *artifacts,
                                intptr_t i) {
  const auto *f = getFile(artifacts, i);
  return f ? f->kind : -1;
}

MlirStringRef
einfuseArtifactsGetFileContents(const EinfuseArtifacts *artifacts,
                                intptr_t i) {
  const auto *f = getFile(artifacts, i);
  return f ? mlirStringRefCreate(f->contents.data(), f->contents.size())
           : mlirStringRefCreate("", 0);
}

MlirStringRef einfuseArtifactsGet(const EinfuseArtifacts *artifacts,
                                  int kind) {
  if (artifacts)
    for (const auto &f : artifacts->files)
      if (f.kind == kind)
        return mlirStringRefCreate(f.contents.data(), f.contents.size());
  return mlirStringRefCreate("", 0);
}

void einfuseArtifactsDestroy(EinfuseArtifacts *artifacts) { delete artifacts; }

void einfuseRegisterAllDialects(MlirDialectRegistry registry) {
  einfuse::registerAllDialects(*unwrap(registry));
}

void einfuseRegisterAllPasses(void) { einfuse::registerAllPasses(); }

void einfuseBuildCPUPipeline(MlirOpPassManager pm) {
  einfuse::buildCPUPipeline(*unwrap(pm));
}

MlirLogicalResult einfuseCompileModule(MlirModule module, MlirStringRef target,
                                       MlirStringRef baseName,
                                       MlirStringCallback callback,
                                       void *userData) {
  std::string error;
  mlir::ModuleOp m = unwrap(module);
  llvm::FailureOr<einfuse::TargetSpec> kind =
      einfuse::parseTarget(unwrap(target), error);
  if (llvm::failed(kind)) {
    m.emitError(error);
    return mlirLogicalResultFailure();
  }
  auto artifacts = einfuse::compileModule(m, *kind, unwrap(baseName));
  if (llvm::failed(artifacts))
    return mlirLogicalResultFailure();
  auto emit = [&](llvm::StringRef what, const std::string &data) {
    callback(mlirStringRefCreate(what.data(), what.size()), userData);
    callback(mlirStringRefCreate(data.data(), data.size()), userData);
  };
  emit("object", artifacts->object);
  emit("header", artifacts->header);
  emit("launcher", artifacts->launcher);
  emit("signature", artifacts->signature);
  return mlirLogicalResultSuccess();
}

intptr_t einfuseFindParserHazard(MlirStringRef source,
                                 MlirStringCallback message, void *userData) {
  auto hazard = einfuse::findParserHazard(unwrap(source));
  if (!hazard)
    return -1;
  if (message)
    message(mlirStringRefCreate(hazard->second.data(), hazard->second.size()),
            userData);
  return static_cast<intptr_t>(hazard->first);
}
