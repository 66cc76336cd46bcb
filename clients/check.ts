// Uses the generated types the way a client would, so a document that generates but types the
// wrong thing (a path, an envelope, a field) fails `tsc`.
import type { components, paths } from "./generated/kirim";

type Contact = components["schemas"]["Contact"];
type BulkLabel = paths["/v1/{phone_number_id}/contacts/bulk_label"]["post"];

export const contact = (c: Contact): string => `${c.id} ${c.phone_number} ${c.team_id}`;
export const request: BulkLabel["requestBody"] = {
  content: {
    "application/json": { contact_ids: ["ctc_01J0000000000000000000000"], label_id: "lbl_01J0000000000000000000000", operation: "attach" },
  },
};
