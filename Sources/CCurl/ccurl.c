#include "ccurl.h"
#include <dlfcn.h>
#include <pthread.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *);
    CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
    CURLUcode (*url_get)(const CURLU *, CURLUPart, char **, unsigned int);
    const char *(*url_strerror)(CURLUcode);
    void (*free)(void *);
} api;

static const char *load_error = "libcurl was not loaded";
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    /* libcurl 4 is the ABI since 2006; libcurl4 (OpenSSL) and libcurl3-gnutls both provide it. */
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        load_error = "libcurl 4 cannot be loaded (libcurl.so.4); install it, e.g. apt-get install libcurl4";
        return;
    }
#define BIND(field, name)                                                     \
    if (!(*(void **)&api.field = dlsym(library, name))) {                     \
        load_error = "the libcurl found is older than 7.80 (it lacks " name ")"; \
        return;                                                               \
    }
    BIND(global_init, "curl_global_init")
    BIND(easy_init, "curl_easy_init")
    BIND(easy_cleanup, "curl_easy_cleanup")
    BIND(easy_reset, "curl_easy_reset")
    BIND(easy_perform, "curl_easy_perform")
    BIND(easy_strerror, "curl_easy_strerror")
    BIND(easy_setopt, "curl_easy_setopt")
    BIND(easy_getinfo, "curl_easy_getinfo")
    BIND(slist_append, "curl_slist_append")
    BIND(slist_free_all, "curl_slist_free_all")
    BIND(url, "curl_url")
    BIND(url_cleanup, "curl_url_cleanup")
    BIND(url_set, "curl_url_set")
    BIND(url_get, "curl_url_get")
    BIND(url_strerror, "curl_url_strerror")
    BIND(free, "curl_free")
#undef BIND
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        load_error = "libcurl could not start (curl_global_init failed)";
        return;
    }
    load_error = NULL;
}

const char *ceauth_curl_load(void) {
    pthread_once(&once, load);
    return load_error;
}

CURL *ceauth_curl_easy_init(void) { return api.easy_init(); }
void ceauth_curl_easy_cleanup(CURL *handle) { api.easy_cleanup(handle); }
void ceauth_curl_easy_reset(CURL *handle) { api.easy_reset(handle); }
CURLcode ceauth_curl_easy_perform(CURL *handle) { return api.easy_perform(handle); }
const char *ceauth_curl_easy_strerror(CURLcode code) { return api.easy_strerror(code); }
CURLcode ceauth_curl_setopt_long(CURL *handle, CURLoption option, long value) { return api.easy_setopt(handle, option, value); }
CURLcode ceauth_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) { return api.easy_setopt(handle, option, value); }
CURLcode ceauth_curl_setopt_pointer(CURL *handle, CURLoption option, const void *value) { return api.easy_setopt(handle, option, value); }
CURLcode ceauth_curl_setopt_write(CURL *handle, CURLoption option, curl_write_callback callback) { return api.easy_setopt(handle, option, callback); }
CURLcode ceauth_curl_setopt_read(CURL *handle, CURLoption option, curl_read_callback callback) { return api.easy_setopt(handle, option, callback); }
CURLcode ceauth_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) { return api.easy_getinfo(handle, info, value); }
struct curl_slist *ceauth_curl_slist_append(struct curl_slist *list, const char *text) { return api.slist_append(list, text); }
void ceauth_curl_slist_free_all(struct curl_slist *list) { api.slist_free_all(list); }
CURLU *ceauth_curl_url(void) { return api.url(); }
void ceauth_curl_url_cleanup(CURLU *url) { api.url_cleanup(url); }
CURLUcode ceauth_curl_url_set(CURLU *url, CURLUPart part, const char *text, unsigned int flags) { return api.url_set(url, part, text, flags); }
CURLUcode ceauth_curl_url_get(CURLU *url, CURLUPart part, char **text, unsigned int flags) { return api.url_get(url, part, text, flags); }
const char *ceauth_curl_url_strerror(CURLUcode code) { return api.url_strerror(code); }
void ceauth_curl_free(void *pointer) { api.free(pointer); }
