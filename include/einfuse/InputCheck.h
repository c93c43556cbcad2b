//===- InputCheck.h - Inputs the MLIR parser must not see -------*- C++ -*-===//
//
// A few inputs crash upstream MLIR's parser (LLVM/MLIR 22) instead of
// failing with a diagnostic. Our tools and the C API scan for them before
// parsing and report a located error instead, so that no input kills a
// process that embeds Einfuse.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_INPUTCHECK_H
#define EINFUSE_INPUTCHECK_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <optional>
#include <string>
#include <utility>

namespace einfuse {

/// The first known parser hazard in `source`: its byte offset and what to
/// tell the user. Comments and string literals are skipped. Known hazards:
///  - `array<index: ...>` (also through a type alias of `index`):
///    mlir::detail::Parser::parseDenseArrayAttr asks an index type for its
///    float width and dies (SIGSEGV).
std::optional<std::pair<size_t, std::string>>
findParserHazard(llvm::StringRef source);

/// Reports the first parser hazard of `buffer` on stderr as
/// `file:line:col: error: ...` and returns true, or returns false if none.
bool reportParserHazard(const llvm::MemoryBuffer &buffer);

} // namespace einfuse

#endif
