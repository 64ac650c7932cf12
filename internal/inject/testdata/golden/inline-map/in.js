var x=1;
//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbInguanMiXSwibmFtZXMiOltdLCJtYXBwaW5ncyI6IkFBQUEifQ==
