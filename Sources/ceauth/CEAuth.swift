import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@main
struct CEAuth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceauth",
        abstract: "Create Cloud Elements (SAP Open Connectors) instances for Google services from the terminal.",
        discussion: """
        Secrets come from the environment (CEAUTH_USER_SECRET, CEAUTH_ORG_SECRET for Cloud Elements; \
        CEAUTH_CLIENT_ID, CEAUTH_CLIENT_SECRET for the Google OAuth client), or else from a profile's secret \
        commands (ceauth config set user-secret-command ...); never from the command line.

        Examples:
          ceauth login gmail --sandbox                try it with no accounts (emulated Google and Cloud Elements)
          ceauth login gmail --name mail-bot          sign in and create an instance
          ceauth list                                 the instances in the keyfile
          TOKEN=$(ceauth token mail-bot)              its token, for a script
          curl -H "Authorization: $(ceauth header mail-bot)" https://api.cloud-elements.com/elements/api-v2/hubs/general/ping
          ceauth verify --all                         do they all still work?
          ceauth delete mail-bot --yes                at Cloud Elements and from the keyfile
          ceauth --generate-completion-script bash    shell completion (also zsh, fish)
        """,
        version: BuildInfo.versionLine,
        subcommands: [Login.self, SandboxCommand.self, Create.self, URLCommand.self, List.self, Show.self, Token.self, Header.self, Verify.self, Status.self, Events.self, Tag.self, Enable.self, Disable.self, Adopt.self, Delete.self, Elements.self, Config.self, Secrets.self, KeyfileCommand.self]
    )

    /// Before anything is read: no core file of a process that holds secrets, and a closed
    /// terminal or pipe cannot end the process (SIGPIPE) before an instance is saved.
    static func main() {
        OS.hardenProcess()
        // `--version --json`: the version, the commit and the build date for scripts (ArgumentParser's
        // own --version takes no options).
        if Set(CommandLine.arguments.dropFirst()) == ["--version", "--json"] {
            let json = LosslessJSON.object([
                .init("version", .string(JSONString(BuildInfo.version))), .init("commit", .string(JSONString(BuildInfo.commit))),
                .init("buildDate", BuildInfo.buildDate.map { .string(JSONString($0)) } ?? .literal("null")),
            ])
            print(json.encoded())
            return
        }
        main(nil)
    }
}
