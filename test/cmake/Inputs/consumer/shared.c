/* The self-contained C API of libEinfuse.so: compile MLIR text in process,
 * get every file in memory, and the diagnostics of a bad input. */
#include "einfuse-c/Einfuse.h"

#include <stdio.h>
#include <string.h>

/* libEinfuse.so exports the einfuse* functions only; MlirStringRef is
 * built with the header's inline mlirStringRefCreate. */
static MlirStringRef str(const char *s) { return mlirStringRefCreate(s, strlen(s)); }

static void print(MlirStringRef s, void *user) {
  (void)user;
  printf("diagnostic: %.*s\n", (int)s.length, s.data);
}

int main(void) {
  const char *src =
      "func.func @rowsum(%x: tensor<4x?xf32>) -> tensor<4xf32> {\n"
      "  %r = ein.cascade [n, c] -> (tensor<4xf32>) {\n"
      "    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<4x?xf32>) -> tensor<4xf32>\n"
      "    ein.yield %s : tensor<4xf32>\n"
      "  }\n"
      "  return %r : tensor<4xf32>\n"
      "}\n";
  printf("api %d (header %d), version %s\n", einfuseGetAPIVersion(),
         EINFUSE_CAPI_VERSION, einfuseGetVersion());
  EinfuseCompileOptions options;
  einfuseCompileOptionsInit(&options);
  options.target = "cpu:x86-64-v3";
  options.name = "rowsum";
  EinfuseArtifacts *a = einfuseCompileSource(
      str(src),
      str("rowsum.mlir"), &options, print, NULL);
  if (!a)
    return 1;
  for (intptr_t i = 0; i < einfuseArtifactsGetNumFiles(a); ++i) {
    MlirStringRef name = einfuseArtifactsGetFileName(a, i);
    printf("file %.*s kind %d: %zu bytes\n", (int)name.length, name.data,
           einfuseArtifactsGetFileKind(a, i),
           einfuseArtifactsGetFileContents(a, i).length);
  }
  MlirStringRef header = einfuseArtifactsGet(a, EINFUSE_ARTIFACT_HEADER);
  const char *proto = strstr(header.data, "einfuse_status rowsum(");
  if (proto)
    printf("%.*s\n", (int)(strchr(proto, ';') - proto), proto);
  einfuseArtifactsDestroy(a);
  /* A typo is an error with its position, and no artifacts. */
  const char *bad = "func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
                    "  %o = ein.attention %x, %x, %x {casual} : tensor<4xf32>, "
                    "tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>\n"
                    "  return %o : tensor<4xf32>\n}\n";
  a = einfuseCompileSource(str(bad),
                           str("bad.mlir"), &options,
                           print, NULL);
  printf("bad: %s\n", a ? "compiled" : "refused");
  return a ? 1 : 0;
}
