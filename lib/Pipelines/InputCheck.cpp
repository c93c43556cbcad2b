//===- InputCheck.cpp - Inputs the MLIR parser must not see ----------------===//
#include "einfuse/InputCheck.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace einfuse {

namespace {
bool isIdentChar(char c) {
  return isAlnum(c) || c == '_' || c == '$' || c == '.' || c == '-';
}

/// `source` with comments and the insides of string literals blanked out
/// (same length, so offsets still point into the input).
std::string blankCommentsAndStrings(StringRef source) {
  std::string out = source.str();
  for (size_t i = 0, e = out.size(); i < e; ++i) {
    if (out[i] == '/' && i + 1 < e && out[i + 1] == '/') {
      for (; i < e && out[i] != '\n'; ++i)
        out[i] = ' ';
    } else if (out[i] == '"') {
      for (++i; i < e && out[i] != '"'; ++i) {
        if (out[i] == '\\' && i + 1 < e)
          out[i++] = ' ';
        if (out[i] != '\n')
          out[i] = ' ';
      }
    }
  }
  return out;
}

/// The identifier (`index`, `!alias`, `i64`) at `pos`, after blanks.
StringRef tokenAt(StringRef text, size_t pos) {
  while (pos < text.size() && isSpace(text[pos]))
    ++pos;
  size_t end = pos;
  if (end < text.size() && text[end] == '!')
    ++end;
  while (end < text.size() && isIdentChar(text[end]))
    ++end;
  return text.slice(pos, end);
}
} // namespace

std::optional<std::pair<size_t, std::string>>
findParserHazard(StringRef source) {
  std::string blanked = blankCommentsAndStrings(source);
  StringRef text(blanked);

  // Type aliases (`!name = type`), to see through `array<!idx: 3>`.
  StringMap<std::string> aliases;
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    StringRef line = text.slice(pos, eol).ltrim();
    pos = eol == StringRef::npos ? text.size() : eol + 1;
    if (!line.consume_front("!"))
      continue;
    size_t nameEnd = 0;
    while (nameEnd < line.size() && isIdentChar(line[nameEnd]))
      ++nameEnd;
    StringRef name = line.take_front(nameEnd);
    StringRef rest = line.drop_front(nameEnd).ltrim();
    if (name.empty() || !rest.consume_front("="))
      continue;
    aliases[("!" + name).str()] = tokenAt(rest, 0).str();
  }
  auto resolve = [&](StringRef type) {
    std::string t = type.str();
    for (int depth = 0; depth < 64 && aliases.count(t); ++depth)
      t = aliases[t];
    return t;
  };

  for (size_t pos = text.find("array"); pos != StringRef::npos;
       pos = text.find("array", pos + 1)) {
    if (pos > 0 && (isIdentChar(text[pos - 1]) || text[pos - 1] == '!' ||
                    text[pos - 1] == '#'))
      continue;
    size_t after = pos + 5;
    while (after < text.size() && isSpace(text[after]))
      ++after;
    if (after >= text.size() || text[after] != '<')
      continue;
    StringRef type = tokenAt(text, after + 1);
    if (resolve(type) == "index")
      return std::make_pair(
          pos, std::string("unsupported: a dense array of 'index' elements "
                           "(use i64); MLIR 22's parser crashes on it "
                           "(llvm-project, Parser::parseDenseArrayAttr)"));
  }
  return std::nullopt;
}

bool reportParserHazard(const MemoryBuffer &buffer) {
  auto hazard = findParserHazard(buffer.getBuffer());
  if (!hazard)
    return false;
  SourceMgr mgr;
  mgr.AddNewSourceBuffer(
      MemoryBuffer::getMemBuffer(buffer.getBuffer(),
                                 buffer.getBufferIdentifier(),
                                 /*RequiresNullTerminator=*/false),
      SMLoc());
  mgr.PrintMessage(errs(),
                   SMLoc::getFromPointer(buffer.getBufferStart() +
                                         hazard->first),
                   SourceMgr::DK_Error, hazard->second);
  return true;
}

} // namespace einfuse
