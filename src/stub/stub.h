/* hako-stub's command line contract, shared with src/util/sealexec.c. */
#ifndef HAKO_STUB_STUB_H
#define HAKO_STUB_STUB_H

/* argv[0] the stub expects from hako; anything else (a script naming
 * /proc/self/exe as its interpreter) is refused */
#define HK_STUB_MAGIC "hako-stub"

#endif
