/* Userspace stand-in for include/linux/decompress/mm.h, enough to compile
 * lib/decompress_bunzip2.c with STATIC defined (its pre-boot form). */
#include <stdlib.h>
#include <string.h>
#define INIT
#define large_malloc(a) malloc(a)
#define large_free(a) free(a)
