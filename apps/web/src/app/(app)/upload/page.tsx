import { Uploader } from "../../../components/uploader";

export default function UploadPage() {
  return <Uploader />;
}
