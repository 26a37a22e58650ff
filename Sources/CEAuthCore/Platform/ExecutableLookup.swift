/// Finding a program the way a shell would, for the browser command and secret commands.
public enum ExecutableLookup {
    /// The absolute path of `name`, searching PATH when it has no slash.
    public static func resolve(_ name: String, environment: [String: String]) -> String? {
        if name.contains("/") { return OS.isExecutable(name) ? name : nil }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if OS.isExecutable(candidate) { return candidate }
        }
        return nil
    }
}
