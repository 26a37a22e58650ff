import ArgumentParser
import CEAuthCore

/// What only `login` takes: the redirect, the scopes, the waits, --update, --paste, the code
/// exchange and --dry-run.
struct LoginFlowOptions: ParsableArguments {
    @Option(name: .customLong("redirect-uri"), help: ArgumentHelp("Loopback redirect URI, e.g. http://localhost:8080/oauth/callback (default http://127.0.0.1:<free port>/).", valueName: "uri"))
    var redirectURI: String?

    @Option(name: .customLong("scope"), help: ArgumentHelp("OAuth scope instead of the element's (repeatable, or space-separated).", valueName: "scope"))
    var scopes: [String] = []

    @Option(name: .customLong("login-hint"), help: ArgumentHelp("Google account to preselect.", valueName: "email"))
    var loginHint: String?

    @Option(help: ArgumentHelp("Seconds to wait for the browser's redirect.", valueName: "seconds"))
    var timeout: Int = Defaults.browserTimeout

    @Option(help: ArgumentHelp("Re-authorize this instance of the keyfile (PUT /instances/{id}?reAuthenticate=true) instead of creating one; its entry is updated in place.", valueName: "name-or-id"),
            completion: Completions.instances)
    var update: String?

    @Flag(help: "Also read the address the browser ended on from standard input (for a machine with no browser); the listener keeps waiting, whichever comes first wins.")
    var paste = false

    @Option(help: ArgumentHelp("Who redeems the code: cloud-elements (default; Cloud Elements does, no PKCE) or local (ceauth does, with PKCE, and hands Cloud Elements the refresh token). Also the profile's 'exchange'.", valueName: "mode"))
    var exchange: String?

    @Flag(name: .customLong("no-preflight"), help: "Skip the call to Cloud Elements (GET /elements/ELEMENT) that proves the secrets and the element before the browser opens.")
    var noPreflight = false

    @Flag(name: .customLong("no-browser"), help: "Do not open a browser; only print the URL.")
    var noBrowser = false


    @Flag(name: .customLong("dry-run"), help: "Check everything, print the authorization URL and the request that would be sent (secrets as $VARIABLE references), and send nothing.")
    var dryRun = false

    /// These into login's options.
    func apply(to options: inout LoginOptions) {
        options.redirectURI = redirectURI
        options.scopes = scopes
        options.loginHint = loginHint
        options.timeoutSeconds = timeout
        options.openBrowser = !noBrowser
        options.update = update
        options.paste = paste
        options.preflight = !noPreflight
        options.exchange = exchange
    }
}
