import ArgumentParser
import CEAuthCore

/// Where the keyfile is: every command that reads or writes it.
struct KeyfileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The keyfile (also CEAUTH_KEYFILE; default ~/.config/ceauth/keys.json).", valueName: "path"))
    var keyfile: String?

    func path(environment: [String: String]) throws -> String {
        try Settings.keyfilePath(flag: keyfile, environment: environment)
    }
}

/// Which Cloud Elements API: every command that calls it.
struct CloudElementsOptions: ParsableArguments {
    @Option(name: .customLong("base-url"), help: ArgumentHelp("Cloud Elements API base URL (also CEAUTH_BASE_URL).", valueName: "url"))
    var baseURL: String?

    @Option(name: .customLong("env"), help: ArgumentHelp("Cloud Elements environment: us, eu or staging.", valueName: "name"))
    var environmentName: String?
}

/// Extra or replacement element templates.
struct TemplateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A folder of extra or replacement templates (also CEAUTH_TEMPLATES).", valueName: "dir"))
    var templates: String?

    func library(environment: [String: String]) throws -> TemplateLibrary {
        var options = LoginOptions(element: "")
        options.templatesDirectory = templates
        return try options.library(environment: environment)
    }
}

/// What a command prints: one JSON document on stdout for scripts, or words on stderr.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on stdout (nothing else goes there).")
    var json = false

    @Flag(help: "Say more about each step on stderr (never secrets).")
    var verbose = false
}
