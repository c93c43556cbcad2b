// RUN: einfuse-opt %s --einfuse-cpu-contractions="vector-width=12" --verify-diagnostics

// expected-error @+1 {{einfuse-cpu-contractions: vector-width must be 4, 8 or 16, not 12}}
module {
}
