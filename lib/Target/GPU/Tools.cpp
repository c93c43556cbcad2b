//===- Tools.cpp - Running the toolchain's programs -----------------------===//
//
// ptxas, llvm-mc and ld.lld, run on temporary files. Apart from the
// launcher so that what needs only these (a target's assembler, in the GPU
// pipeline) does not pull the launcher and the compiler driver in.
//
//===----------------------------------------------------------------------===//
#include "einfuse/Target/GPU.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace einfuse::gpu {

std::string findTool(StringRef program, ArrayRef<std::string> hints) {
  for (const std::string &dir : hints) {
    SmallString<256> path(dir);
    sys::path::append(path, program);
    if (sys::fs::can_execute(path))
      return std::string(path);
  }
  if (ErrorOr<std::string> p = sys::findProgramByName(program))
    return *p;
  return "";
}

FailureOr<std::string> runToolOnFile(StringRef program,
                                     ArrayRef<std::string> hints,
                                     StringRef input,
                                     ArrayRef<std::string> args,
                                     std::string &error) {
  SmallString<128> in, out;
  if (sys::fs::createTemporaryFile("einfuse-in", "", in) ||
      sys::fs::createTemporaryFile("einfuse-out", "", out)) {
    error = "cannot create a temporary file";
    return failure();
  }
  llvm::scope_exit cleanup([&] {
    sys::fs::remove(in);
    sys::fs::remove(out);
  });
  {
    std::error_code ec;
    raw_fd_ostream os(in, ec);
    if (ec) {
      error = ("cannot write " + in).str();
      return failure();
    }
    os << input;
  }
  std::vector<std::string> argv;
  for (const std::string &a : args)
    argv.push_back(a == "{in}" ? in.str().str()
                               : a == "{out}" ? out.str().str() : a);
  if (failed(runTool(program, hints, argv, error)))
    return failure();
  auto result = MemoryBuffer::getFile(out, /*IsText=*/false);
  if (!result) {
    error = (program + " wrote no output").str();
    return failure();
  }
  return (*result)->getBuffer().str();
}

LogicalResult runTool(StringRef program, ArrayRef<std::string> hints,
                      ArrayRef<std::string> args, std::string &error) {
  std::string path = findTool(program, hints);
  if (path.empty()) {
    error = (program + " not found (looked in " + llvm::join(hints, ", ") +
             " and on the PATH)")
                .str();
    return failure();
  }
  SmallString<128> log;
  if (sys::fs::createTemporaryFile("einfuse-tool", "log", log)) {
    error = "cannot create a temporary file";
    return failure();
  }
  std::vector<StringRef> argv = {path};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                          StringRef(log)};
  std::string execError;
  int rc = sys::ExecuteAndWait(path, argv, std::nullopt, redirects, 0, 0,
                               &execError);
  auto text = MemoryBuffer::getFile(log);
  sys::fs::remove(log);
  if (rc != 0) {
    error = (program + " failed" + (execError.empty() ? "" : ": " + execError))
                .str();
    if (text && !(*text)->getBuffer().empty())
      error += ":\n" + (*text)->getBuffer().rtrim().str();
    return failure();
  }
  return success();
}

} // namespace einfuse::gpu
