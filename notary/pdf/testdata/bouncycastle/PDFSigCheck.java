// PDFSigCheck verifies the CMS signature of a PDF with Bouncy Castle, an
// implementation independent of Custos (notary/pdf's TestBouncyCastle runs
// it), where pdfsig cannot (it knows no SM2):
//
//   java PDFSigCheck signature.der content.bin root.der
//
// signature.der is the DER CMS SignedData taken from the signature's
// /Contents, content.bin the bytes its /ByteRange covers. It verifies the
// one SignerInfo over the detached content (message digest, signature and
// the signer certificate it names: JcaSimpleSignerInfoVerifierBuilder),
// the signature time-stamp (TimeStampToken.validate, and its imprint is the
// digest of the signature value), and the chain of the signer's
// certificate through the embedded certificates up to root.der. It prints
// one line per check and exits 1 on the first failure.
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.Security;
import java.util.Arrays;
import java.util.Collection;

import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.util.Store;

public class PDFSigCheck {
  public static void main(String[] args) throws Exception {
    Security.addProvider(new BouncyCastleProvider());
    try {
      byte[] content = Files.readAllBytes(Paths.get(args[1]));
      CMSSignedData sd = new CMSSignedData(new CMSProcessableByteArray(content), Files.readAllBytes(Paths.get(args[0])));
      X509CertificateHolder root = new X509CertificateHolder(Files.readAllBytes(Paths.get(args[2])));
      Collection<SignerInformation> signers = sd.getSignerInfos().getSigners();
      if (signers.size() != 1) {
        fail(signers.size() + " signers, want 1");
      }
      SignerInformation si = signers.iterator().next();
      Store<X509CertificateHolder> store = sd.getCertificates();
      X509CertificateHolder cert = only(store.getMatches(si.getSID()), "signer certificate");
      if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(cert))) {
        fail("signature");
      }
      System.out.println("signer: OK algorithm " + si.getEncryptionAlgOID() + " digest " + si.getDigestAlgOID());

      Attribute a = si.getUnsignedAttributes().get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken);
      TimeStampToken tst = new TimeStampToken(ContentInfo.getInstance(a.getAttrValues().getObjectAt(0)));
      X509CertificateHolder tsa = only(tst.getCertificates().getMatches(tst.getSID()), "TSA certificate");
      tst.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(tsa));
      String imprintAlg = tst.getTimeStampInfo().getMessageImprintAlgOID().getId();
      byte[] imprint = MessageDigest.getInstance(imprintAlg, "BC").digest(si.getSignature());
      if (!Arrays.equals(imprint, tst.getTimeStampInfo().getMessageImprintDigest())) {
        fail("time-stamp imprint is not the digest of the signature value");
      }
      System.out.println("timestamp: OK imprint " + imprintAlg + " at " + tst.getTimeStampInfo().getGenTime().toInstant());

      for (int depth = 0; !cert.equals(root); depth++) {
        X509CertificateHolder issuer = null;
        for (X509CertificateHolder c : store.getMatches(null)) {
          if (c.getSubject().equals(cert.getIssuer()) && !c.equals(cert)
              && cert.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider("BC").build(c))) {
            issuer = c;
          }
        }
        if (issuer == null || depth == 4) {
          fail("no issuer of " + cert.getSubject() + " up to the root");
        }
        cert = issuer;
      }
      System.out.println("chain: OK");
    } catch (Exception e) {
      fail(e.toString());
    }
  }

  static X509CertificateHolder only(Collection<X509CertificateHolder> matches, String what) {
    if (matches.size() != 1) {
      fail(matches.size() + " matches of the " + what + ", want 1");
    }
    return matches.iterator().next();
  }

  static void fail(String why) {
    System.out.println("FAILED: " + why);
    System.exit(1);
  }
}
