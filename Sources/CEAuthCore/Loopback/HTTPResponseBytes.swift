/// Builds the bytes of the listener's small HTTP responses. Pure.
public enum HTTPResponseBytes {
    public static func make(status: Int, contentType: String, body: String, extraHeaders: [(String, String)] = []) -> [UInt8] {
        let bodyBytes = Array(body.utf8)
        var head = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
        var headers: [(String, String)] = [
            ("Content-Type", contentType),
            ("Content-Length", String(bodyBytes.count)),
            ("Connection", "close"),
            ("Cache-Control", "no-store"),
            // The redirect URL holds the code: never send it on as a Referer.
            ("Referrer-Policy", "no-referrer"),
            ("X-Content-Type-Options", "nosniff"),
            // The pages load nothing from anywhere; inline styles only.
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
        ]
        headers += extraHeaders
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + bodyBytes
    }

    public static func plainText(status: Int, _ text: String, extraHeaders: [(String, String)] = []) -> [UInt8] {
        make(status: status, contentType: "text/plain; charset=utf-8", body: "ceauth: \(text)\n", extraHeaders: extraHeaders)
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 421: return "Misdirected Request"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}
