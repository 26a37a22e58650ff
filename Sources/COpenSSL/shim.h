#ifndef CEAUTH_COPENSSL_SHIM_H
#define CEAUTH_COPENSSL_SHIM_H
#include <openssl/rand.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#endif
