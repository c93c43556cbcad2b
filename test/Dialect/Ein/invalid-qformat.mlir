// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{group_size must be positive, got 0}}
func.func private @zero_group() attributes {f = #ein.qformat<kind = int8, group_size = 0>}

// -----

// expected-error @+1 {{group_size must be positive, got -32}}
func.func private @negative_group() attributes {f = #ein.qformat<kind = int4, group_size = -32, zero_point = true>}

// -----

// expected-error @+2 {{expected ::einfuse::ein::QuantKind to be one of: int4, uint4, int8, fp8_e4m3}}
// expected-error @+1 {{failed to parse Ein_QuantFormatAttr parameter 'kind'}}
func.func private @unknown_kind() attributes {f = #ein.qformat<kind = nf4, group_size = 64>}

// -----

// expected-error @+1 {{struct is missing required parameter: group_size}}
func.func private @missing_group() attributes {f = #ein.qformat<kind = int8>}
