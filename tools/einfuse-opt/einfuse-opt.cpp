//===- einfuse-opt.cpp - Einfuse optimizer driver --------------------------===//
//
// mlir-opt with the Ein dialect, Einfuse passes and pipelines. Unlike
// mlir-opt it rejects an empty input: a kernel file with nothing in it is a
// mistake, not an empty module.
//
//===----------------------------------------------------------------------===//
#include "einfuse/InitAll.h"
#include "einfuse/InputCheck.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::DialectRegistry registry;
  einfuse::registerAllDialects(registry);
  einfuse::registerAllPasses();

  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "Einfuse optimizer driver\n", registry);
  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file =
      mlir::openInputFile(inputFilename, &error);
  if (!file) {
    llvm::errs() << "einfuse-opt: error: " << error << "\n";
    return 1;
  }
  if (file->getBuffer().trim().empty()) {
    llvm::errs() << inputFilename << ":1:1: error: input is empty\n";
    return 1;
  }
  if (einfuse::reportParserHazard(*file))
    return 1;
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << "einfuse-opt: error: " << error << "\n";
    return 1;
  }
  if (mlir::failed(mlir::MlirOptMain(output->os(), std::move(file), registry,
                                     config)))
    return 1;
  output->keep();
  return 0;
}
