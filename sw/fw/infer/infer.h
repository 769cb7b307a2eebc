/*
 * The firmware's runtime: sw/runtime.py's Runtime in C, driven by the network table
 * (fw_table.h) and the mailbox in the activation SRAM (docs/firmware.md).
 */
#ifndef FW_INFER_H
#define FW_INFER_H

#include <stdint.h>

#include "fw_table.h"

/* Everything: check the table and the chip, put the weights in (mailbox FLAGS), configure,
 * run the mailbox's images, write classes, clips and logits; DONE or ERROR in the mailbox.
 * Returns the FwError code (0: done). */
uint32_t fw_main(const struct fw_net *net);

#endif /* FW_INFER_H */
