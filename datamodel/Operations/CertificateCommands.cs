using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel.Operations;

/// <summary><c>Device.LocalAgent.AddCertificate()</c> (TP-469 9.2) and <c>Certificate.{i}.Delete()</c>.</summary>
internal static class CertificateCommands
{
    /// <summary>The certificate itself (DER, base64) for the trust layer; vendor-specific name (TR-106).</summary>
    public const string DerParam = "X_USPAGENT_Certificate";

    public static CommandOutcome Add(CommandContext ctx)
    {
        if (Parse(ctx.InputArgs["Certificate"], out var error) is not { } cert)
            return CommandOutcome.Failure(ErrorCodes.InvalidCommandArguments, error!);
        using (cert)
        {
            var table = ctx.Tree.Find("Device.LocalAgent.")!.Table("Certificate")!;
            var serial = cert.SerialNumber;
            var issuer = Clip(cert.Issuer, 256);
            if (table.Rows.Any(r => r.GetValue("SerialNumber") == serial && r.GetValue("Issuer") == issuer))
                return CommandOutcome.Failure(ErrorCodes.CommandFailure, $"A certificate with serial number {serial} from {issuer} is already installed.");
            var row = ctx.Tx.AddRow(table);
            if (ctx.InputArgs.TryGetValue("Alias", out var alias) && alias.Length > 0)
            {
                var check = ValueValidator.Check(table.Schema.FindParam("Alias")!, alias);
                if (!check.Ok)
                    return CommandOutcome.Failure(ErrorCodes.InvalidCommandArguments, check.Error!);
                if (table.Rows.Any(r => r != row && r.GetValue("Alias") == alias))
                    return CommandOutcome.Failure(ErrorCodes.InvalidCommandArguments, $"Another certificate already has the Alias '{alias}'.");
                ctx.Tx.SetValue(row, "Alias", alias);
            }
            ctx.Tx.SetValue(row, "Enable", "true");
            ctx.Tx.SetValue(row, "SerialNumber", Clip(serial, 64));
            ctx.Tx.SetValue(row, "Issuer", issuer);
            ctx.Tx.SetValue(row, "Subject", Clip(cert.Subject, 256));
            ctx.Tx.SetValue(row, "NotBefore", Format(cert.NotBefore));
            ctx.Tx.SetValue(row, "NotAfter", Format(cert.NotAfter));
            ctx.Tx.SetValue(row, "SignatureAlgorithm", Clip(cert.SignatureAlgorithm.FriendlyName ?? cert.SignatureAlgorithm.Value ?? "", 256));
            ctx.Tx.SetValue(row, "LastModif", Format(ctx.Now.UtcDateTime));
            ctx.Tx.SetValue(row, DerParam, Convert.ToBase64String(cert.RawData));
            UniqueKeys.AssignMissing(row, ctx.Tx);
            return CommandOutcome.Success();
        }
    }

    public static CommandOutcome Delete(CommandContext ctx)
    {
        var path = ctx.Instance.Path;
        ctx.Tx.DeleteRow(ctx.Instance);
        ReferenceCleaner.RemoveReferencesTo(ctx.Tx, ctx.Tree, new HashSet<string>(StringComparer.Ordinal) { path });
        return CommandOutcome.Success();
    }

    /// <summary>Accepts PEM or base64 DER; null with a reason when it is not an X.509 certificate.</summary>
    private static X509Certificate2? Parse(string text, out string? error)
    {
        error = null;
        byte[] der;
        var trimmed = text.Trim();
        if (PemEncoding.TryFind(trimmed, out var fields))
        {
            if (!trimmed[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                error = $"The PEM block is a '{trimmed[fields.Label]}', not a CERTIFICATE.";
                return null;
            }
            der = Convert.FromBase64String(trimmed[fields.Base64Data].ToString());
        }
        else
        {
            var buffer = new byte[trimmed.Length];
            if (!Convert.TryFromBase64String(trimmed, buffer, out int n))
            {
                error = "Certificate must be a PEM certificate or base64-encoded DER.";
                return null;
            }
            der = buffer[..n];
        }
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            error = $"Certificate is not a valid X.509 certificate: {ex.Message}";
            return null;
        }
    }

    private static string Format(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max];
}
