// RUN: einfuse-opt %s --split-input-file --verify-diagnostics

// #ein.gpu_config is checked where it is written: every parameter's range.

// expected-error @below {{threads must be in [1, 1024], got 2048}}
func.func @threads() attributes {ein.gpu_config = #ein.gpu_config<threads = 2048, lanes = 32, tile_size = 64>} {
  return
}

// -----

// expected-error @below {{lanes must be in [1, 1024] and divide threads (96), got 64}}
func.func @lanes() attributes {ein.gpu_config = #ein.gpu_config<threads = 96, lanes = 64, tile_size = 64>} {
  return
}

// -----

// expected-error @below {{tile_size must be in [1, 2^31], got 0}}
func.func @tile() attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 0>} {
  return
}

// -----

// expected-error @below {{matrix_tile must be in [1, 256], got 512}}
func.func @matrix() attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 512>} {
  return
}

// -----

// expected-error @below {{small_m must be in [0, 2^31], got -1}}
func.func @small() attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, small_m = -1>} {
  return
}

// -----

// expected-error @below {{split must be in [0, 1024], got 2048}}
func.func @split() attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, split = 2048>} {
  return
}

// -----

// A parameter name with a typo is an error, not ignored.
// expected-error @below {{duplicate or unknown struct parameter name: tilesize}}
func.func @typo() attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tilesize = 64>} {
  return
}

// -----

// K split over the subgroups of a block only: 128 / 32 = 4 of them.
// expected-error @below {{k_split must be 1 or threads / lanes (4), got 2}}
func.func @split() attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 2>} {
  return
}
