
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="09417d58-a204-5946-be70-beaec140d1cc")}catch(e){}}();
var x=1;
//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbInguanMiXSwibmFtZXMiOltdLCJtYXBwaW5ncyI6Ijs7QUFBQSIsImRlYnVnSWQiOiIwOTQxN2Q1OC1hMjA0LTU5NDYtYmU3MC1iZWFlYzE0MGQxY2MifQ==

//# debugId=09417d58-a204-5946-be70-beaec140d1cc
