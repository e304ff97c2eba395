// TSPCheck validates an RFC 3161 time-stamp token with Bouncy Castle, an
// implementation independent of Custos (notary's TestBouncyCastle runs it):
//
//   java TSPCheck token.der tsa.der [issuer.der ...]
//
// It validates the token's signature, signed attributes and ESS signing
// certificate against the TSA certificate (TimeStampToken.validate), then
// each certificate's signature against the next one's key. It prints one
// line per check and exits 1 on the first failure.
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.Security;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.tsp.TimeStampToken;

public class TSPCheck {
  public static void main(String[] args) throws Exception {
    Security.addProvider(new BouncyCastleProvider());
    X509CertificateHolder[] certs = new X509CertificateHolder[args.length - 1];
    for (int i = 1; i < args.length; i++) {
      certs[i - 1] = new X509CertificateHolder(Files.readAllBytes(Paths.get(args[i])));
    }
    try {
      TimeStampToken token = new TimeStampToken(new CMSSignedData(Files.readAllBytes(Paths.get(args[0]))));
      token.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(certs[0]));
      System.out.println("token: OK " + token.getTimeStampInfo().getMessageImprintAlgOID()
          + " signed " + token.getSignedAttributes().size() + " attributes, algorithm "
          + token.toCMSSignedData().getSignerInfos().getSigners().iterator().next().getEncryptionAlgOID());
      for (int i = 0; i + 1 < certs.length; i++) {
        boolean ok = certs[i].isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider("BC").build(certs[i + 1]));
        System.out.println("certificate " + i + " signed by " + (i + 1) + ": " + (ok ? "OK" : "FAILED"));
        if (!ok) {
          System.exit(1);
        }
      }
    } catch (Exception e) {
      System.out.println("FAILED: " + e);
      System.exit(1);
    }
  }
}
