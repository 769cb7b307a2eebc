"""Host software: the network importer and the digits workload (and, next, the compiler that
maps a network onto the chip); ``sw/include/rram_regs.h`` is the generated C header."""
