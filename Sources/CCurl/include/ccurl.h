#ifndef CEAUTH_CCURL_H
#define CEAUTH_CCURL_H
#include <curl/curl.h>

/* libcurl, loaded on first use with dlopen: commands that send no HTTP request do not pay for
   loading its ~35 libraries at start-up. Call ceauth_curl_load first: NULL when libcurl is
   ready, else a message saying what is missing. The rest are libcurl's functions; the
   variadic setopt and getinfo get one typed wrapper per argument kind, which Swift can call. */
const char *ceauth_curl_load(void);

CURL *ceauth_curl_easy_init(void);
void ceauth_curl_easy_cleanup(CURL *handle);
void ceauth_curl_easy_reset(CURL *handle);
CURLcode ceauth_curl_easy_perform(CURL *handle);
const char *ceauth_curl_easy_strerror(CURLcode code);
CURLcode ceauth_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ceauth_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ceauth_curl_setopt_pointer(CURL *handle, CURLoption option, const void *value);
CURLcode ceauth_curl_setopt_write(CURL *handle, CURLoption option, curl_write_callback callback);
CURLcode ceauth_curl_setopt_read(CURL *handle, CURLoption option, curl_read_callback callback);
CURLcode ceauth_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
struct curl_slist *ceauth_curl_slist_append(struct curl_slist *list, const char *text);
void ceauth_curl_slist_free_all(struct curl_slist *list);
CURLU *ceauth_curl_url(void);
void ceauth_curl_url_cleanup(CURLU *url);
CURLUcode ceauth_curl_url_set(CURLU *url, CURLUPart part, const char *text, unsigned int flags);
CURLUcode ceauth_curl_url_get(CURLU *url, CURLUPart part, char **text, unsigned int flags);
const char *ceauth_curl_url_strerror(CURLUcode code);
void ceauth_curl_free(void *pointer);
#endif
